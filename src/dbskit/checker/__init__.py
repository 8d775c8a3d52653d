"""``dbskit check-cart``: play the Market against a store's ``POST /cart`` and check its answers."""
