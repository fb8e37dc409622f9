"""The words the synthetic corpus is made of: (Japanese, English) pools that compose program,
office and section names; the issuing bureaus and office patterns; the ministries, agencies,
institutes and universities the documents name (with their printed variants); the strategies
they cite and the bodies that decide them; and the constants every step of the generator shares.
"""

from __future__ import annotations

from stikg.core.errors import StikgError

LAST_FISCAL_YEAR = 2025
MAX_YEARS = 24  # back to FY2002: 経済財政運営と改革の基本方針 editions exist from 2001


class SynthError(StikgError):
    """The synthetic corpus cannot be generated (bad size, memory, output directory)."""


# ------------------------------------------------------------------------------- vocabulary
# (Japanese, English) word lists that compose program and office names.
FIELDS: tuple[tuple[str, str], ...] = (
    ("量子", "Quantum"), ("AI", "AI"), ("半導体", "Semiconductor"), ("マテリアル", "Materials"),
    ("バイオ", "Bio"), ("脳科学", "Brain Science"), ("再生医療", "Regenerative Medicine"),
    ("ゲノム", "Genome"), ("感染症", "Infectious Disease"), ("宇宙", "Space"), ("海洋", "Ocean"),
    ("防災", "Disaster Resilience"), ("環境エネルギー", "Environment and Energy"), ("核融合", "Fusion"),
    ("光・量子", "Photon and Quantum"), ("数理科学", "Mathematical Sciences"), ("情報基盤", "Information Infrastructure"),
    ("データ科学", "Data Science"), ("ナノテクノロジー", "Nanotechnology"), ("ロボティクス", "Robotics"),
    ("農業", "Agriculture"), ("食料", "Food"), ("医療機器", "Medical Device"), ("創薬", "Drug Discovery"),
    ("がん", "Cancer"), ("認知症", "Dementia"), ("気候変動", "Climate Change"), ("原子力", "Nuclear"),
    ("加速器", "Accelerator"), ("素粒子", "Particle Physics"), ("天文学", "Astronomy"), ("地球科学", "Earth Science"),
    ("水素", "Hydrogen"), ("蓄電池", "Battery"), ("次世代通信", "Next-Generation Communication"),
    ("サイバーセキュリティ", "Cybersecurity"), ("人文社会科学", "Humanities and Social Sciences"),
    ("スポーツ科学", "Sport Science"), ("スマート農業", "Smart Agriculture"), ("防衛技術", "Dual-Use Technology"),
    ("生命科学", "Life Science"), ("計算科学", "Computational Science"), ("極限環境", "Extreme Environment"),
    ("生物多様性", "Biodiversity"), ("資源循環", "Resource Circulation"), ("健康長寿", "Healthy Longevity"),
    ("免疫学", "Immunology"), ("放射線", "Radiation"),
)
PREFIXES: tuple[tuple[str, str], ...] = (
    ("", ""), ("次世代", "Next-Generation "), ("革新的", "Innovative "), ("戦略的", "Strategic "),
    ("先端", "Advanced "),
)
THEMES: tuple[tuple[str, str], ...] = (
    ("基盤技術開発", "Fundamental Technology Development"), ("研究開発", "Research and Development"),
    ("研究拠点形成", "Research Hub Formation"), ("人材育成", "Human Resource Development"),
    ("社会実装", "Social Implementation"), ("国際共同研究", "International Joint Research"),
    ("共用基盤整備", "Shared Infrastructure"), ("基礎研究強化", "Basic Research Enhancement"),
    ("産学連携", "Industry-Academia Collaboration"), ("イノベーション創出", "Innovation Creation"),
    ("実証研究", "Demonstration Research"), ("データ基盤構築", "Data Platform Construction"),
    ("研究環境整備", "Research Environment Improvement"), ("若手研究者育成", "Early-Career Researcher Development"),
    ("評価技術開発", "Evaluation Technology Development"),
)
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("事業", "Project"), ("プログラム", "Program"), ("プロジェクト", "Initiative"), ("推進事業", "Promotion Project"),
    ("支援事業", "Support Project"), ("加速プログラム", "Acceleration Program"),
)
SUB_KINDS: tuple[tuple[str, str], ...] = (
    ("基盤研究", "Basic Research"), ("研究拠点整備", "Hub Development"), ("人材育成プログラム", "Training Program"),
    ("共同研究", "Joint Research"), ("実証研究", "Demonstration"), ("データ基盤", "Data Platform"),
    ("国際連携", "International Collaboration"), ("設備整備", "Facility Development"),
    ("萌芽研究", "Exploratory Research"), ("社会実装支援", "Implementation Support"),
)
FUND_KINDS: tuple[tuple[str, str], ...] = (
    ("スタートアップ支援", "Startup Support Fund"), ("研究設備整備", "Research Equipment Fund"),
    ("人材育成", "Human Resource Fund"), ("国際頭脳循環", "Brain Circulation Fund"),
)

# Issuing bureaus: (ministry id, ministry name, bureau id, bureau name, bureau name_en).
BUREAUS: tuple[tuple[str, str, str, str, str], ...] = (
    ("mext", "文部科学省", "mext-research-promotion-bureau", "研究振興局", "Research Promotion Bureau"),
    ("mext", "文部科学省", "mext-science-technology-policy-bureau", "科学技術・学術政策局",
     "Science and Technology Policy Bureau"),
    ("mext", "文部科学省", "mext-research-development-bureau", "研究開発局", "Research and Development Bureau"),
    ("mext", "文部科学省", "mext-higher-education-bureau", "高等教育局", "Higher Education Bureau"),
    ("meti", "経済産業省", "meti-industrial-science-technology-bureau", "産業技術環境局",
     "Industrial Science and Technology Policy and Environment Bureau"),
    ("mhlw", "厚生労働省", "mhlw-minister-secretariat", "大臣官房", "Minister's Secretariat"),
    ("maff", "農林水産省", "maff-agriculture-forestry-fisheries-research-council",
     "農林水産技術会議事務局", "Agriculture, Forestry and Fisheries Research Council Secretariat"),
)
# Office name patterns within a bureau: (Japanese pattern, English pattern).
OFFICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("{f}研究推進課", "{F} Research Promotion Division"),
    ("参事官（{f}担当）付", "Office of the Counselor for {F}"),
    ("{f}研究推進室", "{F} Research Promotion Office"),
)

# (id, name_ja, name_en, type, short_name, aliases, printed variants used in the text)
Org = tuple[str, str, str, str, str | None, tuple[str, ...], tuple[str, ...]]
MINISTRIES: tuple[Org, ...] = (
    ("mext", "文部科学省", "Ministry of Education, Culture, Sports, Science and Technology (MEXT)", "ministry", "MEXT",
     ("文科省",), ("文部科学省",)),
    ("meti", "経済産業省", "Ministry of Economy, Trade and Industry (METI)", "ministry", "METI", ("経産省",),
     ("経済産業省", "経産省")),
    ("mhlw", "厚生労働省", "Ministry of Health, Labour and Welfare (MHLW)", "ministry", "MHLW", ("厚労省",),
     ("厚生労働省", "厚労省")),
    ("mic", "総務省", "Ministry of Internal Affairs and Communications (MIC)", "ministry", "MIC", (), ("総務省",)),
    ("maff", "農林水産省", "Ministry of Agriculture, Forestry and Fisheries (MAFF)", "ministry", "MAFF", ("農水省",),
     ("農林水産省",)),
    ("cabinet-office", "内閣府", "Cabinet Office", "government", None, (), ("内閣府",)),
)
AGENCIES: tuple[Org, ...] = (
    ("jst", "科学技術振興機構", "Japan Science and Technology Agency (JST)", "funding_agency", "JST",
     ("国立研究開発法人科学技術振興機構", "科学技術振興機構（JST）"), ("JST", "科学技術振興機構")),
    ("amed", "日本医療研究開発機構", "Japan Agency for Medical Research and Development (AMED)", "funding_agency",
     "AMED", ("日本医療研究開発機構（AMED）", "国立研究開発法人日本医療研究開発機構"), ("AMED", "日本医療研究開発機構")),
    ("jsps", "日本学術振興会", "Japan Society for the Promotion of Science (JSPS)", "funding_agency", "JSPS",
     ("独立行政法人日本学術振興会",), ("JSPS", "日本学術振興会")),
    ("nedo", "新エネルギー・産業技術総合開発機構", "New Energy and Industrial Technology Development Organization (NEDO)",
     "funding_agency", "NEDO", ("国立研究開発法人新エネルギー・産業技術総合開発機構",), ("NEDO",)),
)
INSTITUTES: tuple[Org, ...] = (
    ("riken", "理化学研究所", "RIKEN", "research_institute", "理研", ("国立研究開発法人理化学研究所",),
     ("理化学研究所", "国立研究開発法人理化学研究所", "理研")),
    ("nims", "物質・材料研究機構", "National Institute for Materials Science (NIMS)", "research_institute", "NIMS",
     ("国立研究開発法人物質・材料研究機構",), ("物質・材料研究機構", "物質・材料研究機構（NIMS）")),
    ("qst", "量子科学技術研究開発機構", "National Institutes for Quantum Science and Technology (QST)",
     "research_institute", "QST", (), ("量子科学技術研究開発機構", "QST")),
    ("nii", "国立情報学研究所", "National Institute of Informatics (NII)", "research_institute", "NII", (),
     ("国立情報学研究所", "国立情報学研究所（NII）")),
    ("jaxa", "宇宙航空研究開発機構", "Japan Aerospace Exploration Agency (JAXA)", "research_institute", "JAXA", (),
     ("宇宙航空研究開発機構", "JAXA")),
    ("jamstec", "海洋研究開発機構", "Japan Agency for Marine-Earth Science and Technology (JAMSTEC)",
     "research_institute", "JAMSTEC", (), ("海洋研究開発機構",)),
    ("nict", "情報通信研究機構", "National Institute of Information and Communications Technology (NICT)",
     "research_institute", "NICT", (), ("情報通信研究機構",)),
    ("aist", "産業技術総合研究所", "National Institute of Advanced Industrial Science and Technology (AIST)",
     "research_institute", "AIST", ("産総研",), ("産業技術総合研究所", "産総研")),
    ("kek", "高エネルギー加速器研究機構", "High Energy Accelerator Research Organization (KEK)", "inter_university",
     "KEK", (), ("高エネルギー加速器研究機構",)),
    ("jaea", "日本原子力研究開発機構", "Japan Atomic Energy Agency (JAEA)", "research_institute", "JAEA", (),
     ("日本原子力研究開発機構",)),
)
UNIVERSITIES: tuple[tuple[str, str, str], ...] = (
    ("utokyo", "東京大学", "The University of Tokyo"), ("kyoto-u", "京都大学", "Kyoto University"),
    ("osaka-u", "大阪大学", "Osaka University"), ("tohoku-u", "東北大学", "Tohoku University"),
    ("nagoya-u", "名古屋大学", "Nagoya University"), ("kyushu-u", "九州大学", "Kyushu University"),
    ("hokkaido-u", "北海道大学", "Hokkaido University"), ("tsukuba-u", "筑波大学", "University of Tsukuba"),
    ("kobe-u", "神戸大学", "Kobe University"), ("hiroshima-u", "広島大学", "Hiroshima University"),
    ("okayama-u", "岡山大学", "Okayama University"), ("chiba-u", "千葉大学", "Chiba University"),
    ("kanazawa-u", "金沢大学", "Kanazawa University"), ("kumamoto-u", "熊本大学", "Kumamoto University"),
    ("niigata-u", "新潟大学", "Niigata University"), ("shinshu-u", "信州大学", "Shinshu University"),
    ("keio-u", "慶應義塾大学", "Keio University"), ("waseda-u", "早稲田大学", "Waseda University"),
    ("tmdu", "東京医科歯科大学", "Tokyo Medical and Dental University"),
    ("yokohama-nu", "横浜国立大学", "Yokohama National University"),
)
PARTNER_MINISTRIES = ("meti", "mhlw", "mic", "maff", "cabinet-office")
# Budget sections (施策の柱) of an office: each opens with a page that lists its programs.
PILLARS: tuple[tuple[str, str], ...] = (
    ("研究開発の推進", "Promotion of Research and Development"), ("研究基盤の強化", "Strengthening Research Infrastructure"),
    ("人材育成の推進", "Human Resource Development"), ("国際連携の推進", "International Collaboration"),
    ("社会実装の推進", "Social Implementation"), ("基礎研究の振興", "Promotion of Basic Research"),
    ("拠点形成の推進", "Hub Formation"), ("研究環境の整備", "Research Environment"),
)
# An office's programs over the whole period; every active program is an item of its section's
# list each year, and a share of them also get a page of their own that year.
PROGRAMS_PER_OFFICE = 400
PROGRAMS_PER_SECTION = 100
PAGE_RATE = 0.10

# Strategy editions: (id, name_ja, name_en, type, series, edition_year, decision_date, decided_by).
Strategy = tuple[str, str, str, str, str | None, int | None, str, str]
FIXED_STRATEGIES: tuple[Strategy, ...] = (
    ("sti-basic-plan-5", "第5期科学技術基本計画", "The 5th Science and Technology Basic Plan", "plan",
     "sti-basic-plan", None, "2016-01-22", "cabinet"),
    ("sti-basic-plan-6", "第6期科学技術・イノベーション基本計画", "The 6th Science, Technology and Innovation Basic Plan",
     "plan", "sti-basic-plan", None, "2021-03-26", "cabinet"),
    ("health-medical-strategy-2", "健康・医療戦略（第2期）", "Healthcare Policy (2nd period)", "strategy", None, None,
     "2020-03-27", "cabinet"),
    ("ai-strategy-2019", "AI戦略2019", "AI Strategy 2019", "strategy", None, 2019, "2019-06-11",
     "integrated-innovation-strategy-promotion-council"),
    ("quantum-technology-innovation-strategy", "量子技術イノベーション戦略", "Quantum Technology Innovation Strategy",
     "strategy", None, None, "2020-01-21", "integrated-innovation-strategy-promotion-council"),
    ("research-capacity-young-researcher-package", "研究力強化・若手研究者支援総合パッケージ",
     "Comprehensive Package for Strengthening Research Capabilities and Supporting Young Researchers", "policy", None,
     None, "2020-01-23", "csti"),
    ("materials-innovation-strategy", "マテリアル革新力強化戦略", "Materials Innovation Strategy", "strategy", None,
     None, "2021-04-27", "integrated-innovation-strategy-promotion-council"),
    ("bioeconomy-strategy", "バイオエコノミー戦略", "Bioeconomy Strategy", "strategy", None, None, "2024-06-03",
     "integrated-innovation-strategy-promotion-council"),
)
# Annual series: decision dates of the editions the real documents cite (others are assumed).
ANNUAL_SERIES: dict[str, tuple[str, str, int, dict[int, str]]] = {
    "integrated-innovation-strategy": (
        "統合イノベーション戦略{y}", "Integrated Innovation Strategy {y}", 2019,
        {2019: "2019-06-21", 2020: "2020-07-17", 2021: "2021-06-18", 2022: "2022-06-03", 2023: "2023-06-09",
         2024: "2024-06-04", 2025: "2025-06-06"}),
    "keizai-zaisei-kihon-hoshin": (
        "経済財政運営と改革の基本方針{y}", "Basic Policy on Economic and Fiscal Management and Reform {y}", 2001,
        {2015: "2015-06-30", 2016: "2016-06-02", 2017: "2017-06-09", 2018: "2018-06-15", 2019: "2019-06-21",
         2020: "2020-07-17", 2021: "2021-06-18", 2022: "2022-06-07", 2023: "2023-06-16", 2024: "2024-06-21",
         2025: "2025-06-13"}),
}
DECIDING_BODIES = {
    "cabinet": "閣議決定",
    "integrated-innovation-strategy-promotion-council": "統合イノベーション戦略推進会議決定",
    "csti": "総合科学技術・イノベーション会議決定",
}
REGISTRY_ORGANS: tuple[Org, ...] = (
    ("government-of-japan", "国", "Government of Japan", "government", None, ("日本政府",), ()),
    ("cabinet", "内閣", "Cabinet of Japan", "government", None, ("閣議",), ()),
    ("integrated-innovation-strategy-promotion-council", "統合イノベーション戦略推進会議",
     "Integrated Innovation Strategy Promotion Council", "council", None, (), ()),
    ("csti", "総合科学技術・イノベーション会議", "Council for Science, Technology and Innovation (CSTI)", "council",
     "CSTI", (), ()),
)
