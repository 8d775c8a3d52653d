"""The Market side: a stateful emulator of the DBS Partner API and its sandbox control plane."""

__all__: list[str] = []
