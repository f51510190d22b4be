"""The recycling-station quota module: six weighed stages, quota checks, alerts, scale drivers."""
