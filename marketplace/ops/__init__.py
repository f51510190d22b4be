"""Operations: backups and restores."""
