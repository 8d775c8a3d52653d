"""The sandbox control plane under /sandbox, guarded by the Sandbox-Token header."""

__all__: list[str] = []
