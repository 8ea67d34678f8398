"""Editor-name normalisation: which editor did a director mean by what they typed?

Pure (no database). The matcher is fitted on the referential's names (editors, their
solutions, "editor solution" pairs and known aliases), all reduced by ``normalise_name``
(lowercase, accents stripped, legal suffixes such as SAS/SARL/groupe removed). A raw name is
looked up exactly first; otherwise it is compared with TF-IDF vectors of character n-grams
(``char_wb``, 2 to 4) by cosine nearest neighbours. The best editor's score decides:

- ``auto``: score ≥ ``Thresholds.auto`` and ahead of the next editor by ``Thresholds.margin``;
- ``review``: score ≥ ``Thresholds.review`` (proposed to a person);
- ``none``: below, left unmatched.

Fitted matchers are cached by referential content (``build_matcher``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from importers.values import fold

if TYPE_CHECKING:  # scikit-learn is imported when a matcher is built, not at start-up
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

Decision = Literal["auto", "review", "none"]
ReferenceKind = Literal["editor", "solution", "editor_solution", "alias"]

#: Words that say what kind of company it is, not which one.
LEGAL_WORDS = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "snc",
        "sca",
        "scop",
        "sem",
        "gie",
        "groupe",
        "group",
        "grp",
        "ste",
        "societe",
        "ets",
        "etablissements",
        "inc",
        "ltd",
        "gmbh",
        "cie",
    }
)
_DOTTED_INITIALS = re.compile(r"(?<=\b\w)\.(?=\w\b)|(?<=\b\w)\.(?=\s|$)")

#: Neighbours read per query, enough to see the runner-up editor.
NEIGHBOURS = 8


@dataclass(frozen=True)
class Thresholds:
    """Score bands of the matcher (cosine similarity, 0 to 1)."""

    auto: float = 0.80
    review: float = 0.45
    #: an automatic match must beat the next editor by at least this much
    margin: float = 0.12

    def __post_init__(self) -> None:
        if not 0 <= self.review <= self.auto <= 1:
            raise ValueError("thresholds must satisfy 0 <= review <= auto <= 1")


@dataclass(frozen=True)
class ReferenceName:
    """One known name of an editor: its own, a solution's, or an alias."""

    text: str
    editor: str
    kind: ReferenceKind = "editor"
    solution: str | None = None


@dataclass(frozen=True)
class Match:
    """The matcher's answer for one raw name.

    ``editor`` is the best candidate whatever the decision (None only when nothing at all
    resembles); use it as the normalised editor only when ``decision == "auto"``.
    """

    raw: str
    key: str
    editor: str | None
    score: float
    decision: Decision
    matched: str | None = None
    solution: str | None = None
    runner_up: str | None = None
    runner_up_score: float = 0.0


def normalise_name(text: str) -> str:
    """The comparable form of an editor or product name.

    ``Société ALPHA-Santé S.A.S.`` → ``alpha sante``. A name made only of legal words keeps
    them (``Groupe`` stays ``groupe``).
    """
    compact = _DOTTED_INITIALS.sub("", text.replace("&", " et "))
    folded = fold(compact)
    words = folded.split()
    kept = [word for word in words if word not in LEGAL_WORDS]
    return " ".join(kept or words)


class EditorMatcher:
    """Nearest-neighbour matcher over the referential's names; see the module docstring."""

    def __init__(
        self, references: Iterable[ReferenceName], thresholds: Thresholds | None = None
    ) -> None:
        self.thresholds = thresholds or Thresholds()
        by_key: dict[str, ReferenceName] = {}
        editors_of: dict[str, set[str]] = {}
        for reference in references:
            key = normalise_name(reference.text)
            if not key:
                continue
            editors_of.setdefault(key, set()).add(reference.editor)
            # Prefer the most specific reference for a key: editor before alias.
            by_key.setdefault(key, reference)
        if not by_key:
            raise ValueError("the editor referential is empty")
        #: keys naming exactly one editor
        self.exact = {key: by_key[key] for key, editors in editors_of.items() if len(editors) == 1}
        self.keys = sorted(by_key)
        self.references = [by_key[key] for key in self.keys]
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.neighbors import NearestNeighbors

        self.vectorizer: TfidfVectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, lowercase=False
        )
        matrix = self.vectorizer.fit_transform(self.keys)
        self.index: NearestNeighbors = NearestNeighbors(
            n_neighbors=min(NEIGHBOURS, len(self.keys)), metric="cosine", algorithm="brute"
        ).fit(matrix)

    @property
    def editors(self) -> set[str]:
        return {reference.editor for reference in self.references}

    def match(self, raw: str) -> Match:
        """The best editor for one raw name."""
        return self.match_many([raw])[0]

    def match_many(self, raws: Sequence[str]) -> list[Match]:
        """The best editor for each raw name (same order); distinct names computed once."""
        keys = [normalise_name(raw) for raw in raws]
        pending = sorted({key for key in keys if key and key not in self.exact})
        computed: dict[str, tuple[float, ReferenceName | None, str | None, float]] = {}
        if pending:
            distances, indices = self.index.kneighbors(self.vectorizer.transform(pending))
            similarities = np.clip(1.0 - distances, 0.0, 1.0)
            for key, row_scores, row_indices in zip(pending, similarities, indices, strict=True):
                computed[key] = self._rank(row_scores, row_indices)
        matches = []
        for raw, key in zip(raws, keys, strict=True):
            if not key:
                matches.append(Match(raw, key, None, 0.0, "none"))
            elif key in self.exact:
                reference = self.exact[key]
                matches.append(
                    Match(
                        raw, key, reference.editor, 1.0, "auto", reference.text, reference.solution
                    )
                )
            else:
                score, best, runner_up, runner_score = computed[key]
                matches.append(
                    Match(
                        raw,
                        key,
                        best.editor if best else None,
                        score,
                        self._decide(score, runner_score),
                        best.text if best else None,
                        best.solution if best else None,
                        runner_up,
                        runner_score,
                    )
                )
        return matches

    def _rank(
        self, scores: np.ndarray, indices: np.ndarray
    ) -> tuple[float, ReferenceName | None, str | None, float]:
        """Best reference, and the best score of another editor (the runner-up)."""
        best: ReferenceName | None = None
        best_score = 0.0
        runner_up: str | None = None
        runner_score = 0.0
        for score, index in zip(scores, indices, strict=True):
            reference = self.references[int(index)]
            score = float(score)
            if best is None:
                best, best_score = reference, score
            elif reference.editor != best.editor and runner_up is None:
                runner_up, runner_score = reference.editor, score
        if best is not None and best_score <= 0.0:
            return 0.0, None, None, 0.0
        return round(best_score, 4), best, runner_up, round(runner_score, 4)

    def _decide(self, score: float, runner_score: float) -> Decision:
        if score >= self.thresholds.auto and score - runner_score >= self.thresholds.margin:
            return "auto"
        if score >= self.thresholds.review:
            return "review"
        return "none"


@lru_cache(maxsize=8)
def build_matcher(
    references: tuple[ReferenceName, ...], thresholds: Thresholds | None = None
) -> EditorMatcher:
    """A fitted matcher for this referential, cached: the same referential (same names,
    same thresholds) is fitted once per process."""
    return EditorMatcher(references, thresholds)
