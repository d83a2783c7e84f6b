"""The JSON API under /api/v1 (flask-smorest: marshmallow schemas, OpenAPI)."""
