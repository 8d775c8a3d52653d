"""A store's data (offers, regions, delivery rules, outlets, settings), read from its files: what
the store service answers from and what ``dbskit check-cart`` builds its requests from."""
