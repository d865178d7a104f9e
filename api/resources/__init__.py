"""The Partner Center API's resources, one module each (Graph's shapes for admin relationships)."""
