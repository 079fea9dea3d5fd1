"""The projection: events into the database, recorded positions, the projection's health."""
