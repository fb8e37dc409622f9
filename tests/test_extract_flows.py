"""Funding flows of 事業スキーム diagrams and 「…において措置」 text."""

from __future__ import annotations

from test_extract_support import run


def flows(result) -> list[tuple]:
    return [(f.line, f.from_org, f.to_org, f.instrument) for f in result.flows]


def test_simple_scheme() -> None:
    r = run("""
【事業スキーム】 国 AMED

補助金

大学等

委託
""")
    assert flows(r) == [(3, "国", "AMED", "補助金"), (7, "AMED", "大学等", "委託")]
    assert {(o.line, o.organization, o.role) for o in r.organizations} == {(1, "AMED", "funding_agency")}


def test_broken_labels_and_two_recipients() -> None:
    r = run("""
【事業スキーム】
国 AMED

補助
金 大学等

委託

補助

TMM

**
""")
    assert flows(r) == [(4, "国", "AMED", "補助金"), (7, "AMED", "大学等", "委託"), (9, "AMED", "TMM", "補助")]
    assert (11, "TMM", "recipient") in {(o.line, o.organization, o.role) for o in r.organizations}


def test_two_instruments_for_one_recipient_and_wrapped_recipient() -> None:
    r = run("""
【事業スキーム】 国 AMED

補助金 研究者・橋
渡し研究支
援機関等

委託

補助

令和５年度予算額 5,548百万円
""")
    assert flows(r) == [
        (3, "国", "AMED", "補助金"),
        (7, "AMED", "研究者・橋渡し研究支援機関等", "委託"),
        (9, "AMED", "研究者・橋渡し研究支援機関等", "補助"),
    ]


def test_scheme_with_instrument_between_and_multiline_agency() -> None:
    r = run("""
支援スキーム

国

補助

国立研究開発法人
科学技術振興機構
(JST)
創発的研究推進基金補助金

委託

大学・企業等
""")
    assert flows(r) == [(5, "国", "国立研究開発法人科学技術振興機構(JST)", "補助"),
                        (12, "国立研究開発法人科学技術振興機構(JST)", "大学・企業等", "委託")]


def test_single_line_and_missing_source() -> None:
    r = run("""
国 補助金 理化学研究所

【事業スキーム】

補助金

大学・国立研究
開発法人等
""")
    assert flows(r) == [(1, "国", "理化学研究所", "補助金")]
    assert any(x.reason == "scheme without a printed source organisation" for x in r.report)


def test_measures_by_ministries() -> None:
    r = run("""
日本医療研究開発機構対象経費

＜管理経費等＞
運営費交付金
文部科学省において措置

＜業務経費＞
補助金 文部科学省、厚生労働省、経済産業省等において措置。
""")
    assert flows(r) == [
        (4, "文部科学省", "日本医療研究開発機構", "運営費交付金"),
        (8, "文部科学省", "日本医療研究開発機構", "補助金"),
        (8, "厚生労働省", "日本医療研究開発機構", "補助金"),
        (8, "経済産業省", "日本医療研究開発機構", "補助金"),
    ]


def test_arrows_and_bracketed_instruments() -> None:
    r = run("""
【資金の流れ】
国 →(運営費交付金)→ JST →(委託)→ 大学等
""")
    assert flows(r) == [(2, "国", "JST", "運営費交付金"), (2, "JST", "大学等", "委託")]


def test_instrument_in_brackets_after_the_organisation() -> None:
    r = run("国 ⇒ JST（運営費交付金） ⇒ 大学等（委託）")
    assert flows(r) == [(1, "国", "JST", "運営費交付金"), (1, "JST", "大学等", "委託")]


def test_numbered_step_diagram_without_blank_lines() -> None:
    """A sheet whose diagram text layer has no blank lines: one label per line, step numbers,
    the ministry beside 国 off the money edges, a bracketed gloss and a recipient in a sentence."""
    r = run("""③ 施策の概要
国庫と経済団体からの出えん金で「感染症研究支援基金」を造成する。
④ 施策のスキーム図
国
①国庫
厚生労働省
②申請
③採択
医療研究推進機構
研究機関、医療機関等
(拠点形成機関)
④支援
(補助)
感染症研究
支援基金
④支援
(委託)
※省令で定める事業
感染症の研究に取り組む者に対し、その経費を支援
""")
    assert flows(r) == [(2, "経済団体", "感染症研究支援基金", "other"), (5, "国", "医療研究推進機構", "基金"),
                        (13, "医療研究推進機構", "研究機関、医療機関等", "補助"),
                        (17, "医療研究推進機構", "感染症の研究に取り組む者", "委託")]
    got = {(o.line, o.organization, o.role) for o in r.organizations}
    assert (6, "厚生労働省", "implementer") in got and (9, "医療研究推進機構", "funding_agency") in got
    assert not any(o.organization == "感染症の研究に取り組む者" for o in r.organizations)
