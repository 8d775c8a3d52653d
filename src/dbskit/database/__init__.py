"""Running SQL: a database (an SQLite file or PostgreSQL) with its one unit of work, the write
methods' statements on the driver's cursor, and values as every table stores them."""
