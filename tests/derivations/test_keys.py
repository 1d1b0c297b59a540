"""Integer subject keys and record ordering (derivations.common, derivations.filters)
against pandas references: groupby/ngroup numbering, MultiIndex lookups and a stable
multi-column sort_values with missing values last."""

import numpy as np
import pandas as pd
import pytest

from derivations.common import SubjectIndex, factorize_text, first_rows, group_codes, run_starts
from derivations.filters import filter_extreme, sort_records


def records(seed: int, n: int = 400) -> pd.DataFrame:
    """Unsorted records with repeated keys, missing keys, ties and missing order values."""
    rng = np.random.default_rng(seed)
    subj = rng.choice(np.array(["S1", "S2", "S3", "S4", "S5", np.nan], dtype=object), n)
    study = rng.choice(np.array(["A", "B"], dtype=object), n)
    day = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 6, n), unit="D")
    dt = pd.Series(day).where(rng.random(n) > 0.15)
    seq = pd.Series(rng.integers(1, 4, n).astype(float)).where(rng.random(n) > 0.1)
    text = pd.Series(rng.choice(np.array(["b", "a", "c"], dtype=object), n)).where(rng.random(n) > 0.1)
    return pd.DataFrame({"STUDYID": study, "USUBJID": subj, "ADT": dt, "SEQ": seq, "TXT": text,
                         "ROW": np.arange(n)})


def test_run_starts_marks_key_changes():
    a = np.array(["x", "x", "y", "y", "x"], dtype=object)
    b = np.array([1, 2, 2, 2, 2])
    assert run_starts([a]).tolist() == [True, False, True, False, True]
    assert run_starts([a, b]).tolist() == [True, True, True, False, True]


def equal_text_in_distinct_objects(seed: int, n: int = 300) -> np.ndarray:
    """Values where equal text is sometimes the same object, sometimes not."""
    rng = np.random.default_rng(seed)
    shared = np.array(["S1", "S2", "S3", None, np.nan], dtype=object)
    picks = rng.integers(0, 8, n)
    return np.array([shared[i] if i < 5 else "".join(["S", str(i - 4)]) for i in picks], dtype=object)


@pytest.mark.parametrize("seed", range(5))
def test_text_keys_count_equal_values_as_one_whatever_the_object(seed):
    values = equal_text_in_distinct_objects(seed)
    codes, uniques = factorize_text(values)
    expected_codes, expected_uniques = pd.factorize(values)
    assert (codes == expected_codes).all() and list(uniques) == list(expected_uniques)
    codes, uniques = factorize_text(values, use_na_sentinel=False)
    expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=False)
    assert (codes == expected_codes).all() and len(uniques) == len(expected_uniques)
    frame_na = pd.DataFrame({"K": values})
    assert (group_codes(frame_na, ["K"]) == expected_codes).all()
    frame = pd.DataFrame({"K": np.sort(values[pd.notna(values)])})
    assert (group_codes(frame, ["K"]) == pd.factorize(frame["K"])[0]).all()
    index = SubjectIndex(pd.DataFrame({"K": np.array(["S3", "S1"], dtype=object)}), ["K"])
    assert (index.ids(frame) == pd.Index(["S3", "S1"]).get_indexer(frame["K"])).all()


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("presorted", [False, True])
def test_group_codes_number_groups_as_pandas_ngroup(seed, presorted):
    frame = records(seed)
    if presorted:
        frame = frame.sort_values(["STUDYID", "USUBJID"], kind="stable")
    expected = frame.groupby(["STUDYID", "USUBJID"], sort=False, dropna=False).ngroup().to_numpy()
    assert (group_codes(frame, ["STUDYID", "USUBJID"]) == expected).all()
    expected1 = pd.factorize(frame["USUBJID"], use_na_sentinel=False)[0]
    assert (group_codes(frame, ["USUBJID"]) == expected1).all()
    codes = group_codes(frame, ["USUBJID"])
    assert (first_rows(codes) == np.unique(codes, return_index=True)[1]).all()


@pytest.mark.parametrize("seed", range(5))
def test_subject_index_matches_a_multiindex_lookup(seed):
    frame = records(seed)
    subjects = pd.DataFrame({"STUDYID": ["A", "A", "B", "B", "A"],
                             "USUBJID": np.array(["S2", "S1", "S1", np.nan, "S9"], dtype=object)})
    index = SubjectIndex(subjects, ["STUDYID", "USUBJID"])
    expected = pd.MultiIndex.from_frame(subjects).get_indexer(
        pd.MultiIndex.from_frame(frame[["STUDYID", "USUBJID"]]))
    assert index.is_unique
    assert (index.ids(frame) == expected).all()
    renamed = frame.rename(columns={"USUBJID": "SUBJ"})
    assert (index.ids(renamed, ["STUDYID", "SUBJ"]) == expected).all()
    assert not SubjectIndex(pd.concat([subjects, subjects]), ["STUDYID", "USUBJID"]).is_unique


ORDERS = [["ADT"], ["-ADT", "SEQ"], ["TXT", "-SEQ"], ["-TXT", "ADT", "-SEQ"], ["SEQ", "-ADT", "TXT"]]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("infinite", [False, True])
def test_sort_and_extremes_match_a_stable_pandas_sort(seed, order, infinite):
    frame = records(seed)
    if infinite:  # values that tie with the "missing sorts last" sentinel
        frame.loc[frame.index[::7], "SEQ"] = np.inf
    cols = [o.lstrip("-") for o in order]
    asc = [not o.startswith("-") for o in order]
    reference = frame.sort_values(cols, ascending=asc, kind="stable", na_position="last")
    assert sort_records(frame, [], order)["ROW"].tolist() == reference["ROW"].tolist()
    keys = ["STUDYID", "USUBJID"]
    grouped = reference.groupby(keys, sort=False, dropna=False)
    for mode, pick in (("first", grouped.head(1)), ("last", grouped.tail(1))):
        got = filter_extreme(frame, keys, order, mode)
        assert got["ROW"].tolist() == sorted(pick["ROW"].tolist())
