"""The local S3 server's listing cache: a listing is reused only while nothing under its folder
changed, and never one built while a write under it was under way."""

from __future__ import annotations

from docroute.s3_localbucket import ListingCache


def test_a_listing_is_reused_until_a_write_under_its_folder() -> None:
    cache = ListingCache()
    generation = cache.generation("b", "t/p0/records/")
    assert generation is not None
    cache.put("b", "t/p0/records/", "q", generation, b"<old/>")
    assert cache.get("b", "q", generation) == b"<old/>"

    with cache.writing("b", "t/p0/records/0007.batch"):
        assert cache.generation("b", "t/p0/records/") is None  # not served while the write runs
        assert cache.generation("b", "t/p1/records/") is not None  # another folder still is
    after = cache.generation("b", "t/p0/records/")
    assert after is not None and after != generation
    assert cache.get("b", "q", after) is None


def test_a_write_further_down_or_to_the_bucket_changes_the_folders_above() -> None:
    cache = ListingCache()
    top, other = cache.generation("b", "t/"), cache.generation("b", "u/")
    with cache.writing("b", "t/p0/records/0001.batch"):
        assert cache.generation("b", "t/") is None
        assert cache.generation("b", "") is None  # a listing of the whole bucket shows it too
    assert cache.generation("b", "t/") != top
    assert cache.generation("b", "u/") == other

    with cache.writing("b", ""):  # the bucket itself (create, delete)
        assert cache.generation("b", "u/") is None
    assert cache.generation("b", "u/") != other


def test_a_listing_built_across_a_write_is_not_kept() -> None:
    cache = ListingCache()
    generation = cache.generation("b", "t/records/")
    assert generation is not None
    with cache.writing("b", "t/records/0002.batch"):
        pass  # the write ends while the listing is being built
    cache.put("b", "t/records/", "q", generation, b"<before-the-write/>")
    now = cache.generation("b", "t/records/")
    assert now is not None
    assert cache.get("b", "q", now) is None
    assert cache.get("b", "q", generation) is None


def test_the_cache_keeps_at_most_its_capacity() -> None:
    cache = ListingCache(capacity=2)
    for query in ("a", "b", "c"):
        cache.put("b", "t/", query, 0, query.encode())
    assert cache.get("b", "a", 0) is None
    assert cache.get("b", "c", 0) == b"c"
