"""The Market's persistence: its tables, their migrations, and one repository module per table
family (``docs/decisions.md``, Storage)."""
