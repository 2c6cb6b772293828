"""Settings per environment, read from the environment (see README's configuration table)."""

from config.settings import CONFIGS, load_config

__all__ = ["CONFIGS", "load_config"]
