"""The domain: never imports telegram. Services take plain values and a session."""
