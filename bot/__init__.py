"""Composition root: configuration, the Application factory, channels, texts and logging."""
