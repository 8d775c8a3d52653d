"""The documents both sides exchange: models, enums, figures and the operation table. No I/O."""

__all__: list[str] = []
