"""The classifier shared by the trainer and classify services: embedders, features, model."""

from docroute.classifier.embedders import Embedder, canonical_embedder_id, load_embedder
from docroute.classifier.errors import ModelArtifactError, UnknownEmbedderError
from docroute.classifier.features import TfidfConfig, TfidfState, fit_tfidf
from docroute.classifier.model import ClassifierModel, FeatureLayout, Neighbour

__all__ = [
    "ClassifierModel",
    "Embedder",
    "FeatureLayout",
    "ModelArtifactError",
    "Neighbour",
    "TfidfConfig",
    "TfidfState",
    "UnknownEmbedderError",
    "canonical_embedder_id",
    "fit_tfidf",
    "load_embedder",
]
