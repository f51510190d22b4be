"""The passport's database edge: recording events, the stored log, checkpoints, export, query."""
