"""The rules a store's ``POST /cart`` answer is judged by (R-045..R-053), and the findings they
give: what ``dbskit check-cart`` reports, and what the Market's checkout through the store
accepts or refuses."""
