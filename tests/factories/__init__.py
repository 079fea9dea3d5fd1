"""Factories that build test data: synthetic documents and their texts."""
