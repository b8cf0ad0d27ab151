"""Gallery logic without a UI."""

import zoo
from zoo.catalog import Filters, facets, human_count, search


def test_search_matches_words_in_any_field():
    keys = [c.key for c in search(Filters(query="residual"))]
    assert "resnet50" in keys and "lenet5" not in keys


def test_search_finds_chinese_text():
    keys = [c.key for c in search(Filters(query="手写数字"), lang="zh")]
    assert "lenet5" in keys


def test_filters_combine():
    cards = search(Filters(domains=("vision",), levels=("basic",)))
    assert cards and all(c.domain == "vision" and c.level == "basic" for c in cards)
    years = facets()["years"]
    assert years[0] <= 1998 and years[1] >= 2020
    assert search(Filters(years=(1990, 1999))) == [c for c in search(Filters()) if c.year < 2000]


def test_sorting():
    by_size = search(Filters(sort="size_asc"))
    assert [c.params.value for c in by_size] == sorted(c.params.value for c in by_size)
    newest = search(Filters(sort="year_desc"))
    assert newest[0].year == max(zoo.card(k).year for k in zoo.list_models())


def test_human_count():
    assert human_count(61_706) == "61.7K"
    assert human_count(25_557_032) == "25.6M"
    assert human_count(175e9) == "175.0B"
    assert human_count(12) == "12"
