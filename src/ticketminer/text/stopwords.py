"""Stop words for ticket clustering, English and Chinese.

Negations are *kept as tokens* (not stop words) in both languages: in support tickets they carry
the complaint itself ("card not working", "never arrived", "没收到", "不能登录"), and TF-IDF's idf
already discounts how common they are. For the same reason the phrasal-verb particles and nouns
that sklearn's generic list drops but that name ticket issues ("top up", "log out", "bill",
"amount", "interest", "system", "name") are kept.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """Whitespace-separated words (keeps the long lists below readable)."""
    return frozenset(text.split())


# scikit-learn's ENGLISH_STOP_WORDS (BSD-3, from the Glasgow Information Retrieval Group),
# copied so that importing this module does not cost the ~1 s import of sklearn.feature_extraction.
# tests/test_text_stopwords.py checks that the copy still equals sklearn's.
SKLEARN_ENGLISH_STOP_WORDS: frozenset[str] = _words(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst amoungst amount an and another any anyhow anyone
    anything anyway anywhere are around as at back be became because become becomes becoming
    been before beforehand behind being below beside besides between beyond bill both bottom
    but by call can cannot cant co con could couldnt cry de describe detail do done down due
    during each eg eight either eleven else elsewhere empty enough etc even ever every
    everyone everything everywhere except few fifteen fifty fill find fire first five for
    former formerly forty found four from front full further get give go had has hasnt have
    he hence her here hereafter hereby herein hereupon hers herself him himself his how
    however hundred i ie if in inc indeed interest into is it its itself keep last latter
    latterly least less ltd made many may me meanwhile might mill mine more moreover most
    mostly move much must my myself name namely neither never nevertheless next nine no
    nobody none noone nor not nothing now nowhere of off often on once one only onto or
    other others otherwise our ours ourselves out over own part per perhaps please put
    rather re same see seem seemed seeming seems serious several she should show side since
    sincere six sixty so some somehow someone something sometime sometimes somewhere still
    such system take ten than that the their them themselves then thence there thereafter
    thereby therefore therein thereupon these they thick thin third this those though three
    through throughout thru thus to together too top toward towards twelve twenty two un
    under until up upon us very via was we well were what whatever when whence whenever
    where whereafter whereas whereby wherein whereupon wherever whether which while whither
    who whoever whole whom whose why will with within without would yet you your yours
    yourself yourselves
    """
)

#: Words from sklearn's list that are content in a helpdesk: negations and issue-naming words.
KEPT_FROM_SKLEARN: frozenset[str] = _words(
    """
    not no nor never cannot cant nothing none nobody noone nowhere without
    amount back bill bottom call detail down empty fill find fire found front full interest
    move name off out part show system top up
    """
)

# Pleasantries, auxiliaries and contractions (the tokenizer keeps "i'm" whole, strips a
# possessive "'s" and splits "didn't" into "did", "not").
_EN_EXTRA = """
    hi hello hey dear greetings thanks thank thx ty please pls plz regards kindly sir madam team
    ok okay yes yeah hii hiya appreciate appreciated sincerely cheers
    i'm i've i'd i'll you're you've you'd you'll he'd he'll she'd she'll we're we've we'd we'll
    they're they've they'd they'll that'd that'll there'd there'll who'd who'll
    let's y'all ma'am im ive youre
    would've could've should've might've must've
    just also really actually currently did does doing having shall ought
    """

#: English stop words: sklearn's list minus `KEPT_FROM_SKLEARN`, plus pleasantries and contractions.
STOP_WORDS_EN: frozenset[str] = (SKLEARN_ENGLISH_STOP_WORDS - KEPT_FROM_SKLEARN) | _words(_EN_EXTRA)

# Function words, particles, pronouns, conjunctions, degree adverbs and helpdesk pleasantries.
# Negations (不 没 没有 未 无 别 不能 无法) are deliberately absent: see the module docstring.
_ZH = """
    的 地 得 了 着 过 之 所 是 为 乃 即 则 而 且 并 并且 及 以及 与 和 跟 同 或 或者 还是 我 你
    您 他 她 它 我们 你们 您们 他们 她们 它们 咱 咱们 自己 大家 别人 人家 本人 我的 你的 您的
    他的 她的 它的 我们的 你们的 他们的 这 那 这个 那个 这些 那些 这样 那样 这么 那么 这种 那种
    这里 那里 这儿 那儿 这边 那边 哪 哪里 哪儿 哪个 哪些 什么 怎么 怎样 怎么样 如何 为什么 为何
    多少 几 谁 啥 咋 在 于 从 自 向 往 对 对于 关于 把 被 给 让 叫 由 比 按 按照 根据 通过 随着
    为了 也 都 就 才 还 又 再 也是 就是 还是 只是 只 只有 而已 罢了 等 等等 之类 吗 呢 吧 啊 呀
    哦 喔 噢 嗯 哈 哈哈 哈哈哈 呵呵 嘿嘿 嘻嘻 嘛 啦 哇 哎 唉 诶 呗 哟 咯 喽 么 嘞 滴 个 一个
    一些 一下 一点 一点儿 一样 一直 一般 一定 一次 一起 一 两 几个 些 每 各 某 其 此 该 其他
    其它 另外 有 有点 有些 有的 没什么 还有 就是说 也就是 所以 因此 因为 由于 如果 要是 假如
    虽然 虽说 尽管 即使 但 但是 可是 不过 然而 而且 况且 于是 然后 接着 之后 以后 以前 之前 时候
    的话 比如 例如 很 太 非常 特别 比较 挺 蛮 真 真的 最 更 更加 十分 相当 实在 确实 其实 当然
    基本 基本上 可能 应该 会 能 能够 可以 要 想 需要 已 已经 曾经 正在 将 将要 刚 刚刚 马上 立即
    总是 经常 一直都 还要 啊啊 哦哦 嗯嗯 好的 好吧 亲 亲们 哈喽 嗨 您好 你好 大家好 谢谢
    谢谢您 谢谢你 谢啦 多谢 感谢 非常感谢 万分感谢 麻烦 麻烦您 麻烦你 请 请问 劳驾 辛苦 辛苦了
    打扰 打扰了 不好意思 抱歉 祝 祝好 此致 敬礼 顺祝 商祺 敬请 烦请 恳请
    """

#: Chinese stop words (Simplified: text is converted before filtering).
STOP_WORDS_ZH: frozenset[str] = _words(_ZH)

#: Both lists; what `TextPipeline` drops.
STOP_WORDS: frozenset[str] = STOP_WORDS_EN | STOP_WORDS_ZH
