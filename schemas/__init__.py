"""The JSON Schemas kamalguard validates with, shipped inside the package (schemas/ in the repository)."""
