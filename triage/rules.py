# ruff: noqa: E501  (keyword tables read better one group per block)
"""Hand-written domain rules: keyword groups and the survey's boundary rules.

The groups are written from the section definitions (see `triage/examples.jsonl` and the
eval README's boundary rules): what makes an item an AI ocean model, a remote-sensing
foundation model, a ship-detection method, a dataset, or news — and the near misses
(weather-only AI, ocean science without AI, task-specific remote-sensing deep learning,
AIS trajectories, generic vision / LLM / medical / driving work).

`rule_features` gives numbers a linear model can weigh; `rule_vote` gives the rule-based
label with a short reason. Both are pure functions of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seascout.core.model import Label


def _rx(*terms: str) -> re.Pattern[str]:
    # ASCII: `\b` must also hold between a Latin word and a CJK character ("SAR舰船", "AI大模型").
    return re.compile("|".join(terms), re.IGNORECASE | re.ASCII)


OCEAN = _rx(
    r"\bocean", r"oceanograph", r"\bsea[- ]surface", r"\bsst\b", r"\bssh\b", r"sea[- ]level",
    r"\bsea ice\b", r"\bmarine\b", r"\b(ocean|sea|surface|wind|swell|gravity|internal|breaking|rogue|coastal) waves?\b",
    r"\bwave (height|forecast|model|spectr|climate|field)", r"\beddy", r"\beddies",
    r"\benso\b", r"el ni[nñ]o", r"la ni[nñ]a", r"tropical instability", r"\bsalinity",
    r"thermocline", r"(?-i:\b[Tt]id(e|es|al)\b)", r"\bcoastal", r"\bupwelling", r"\bmesoscale",
    r"\bdeep[- ]sea\b", r"\bseafloor", r"\bbathymetr", r"\bsubsurface", r"air[- ]sea",
    r"ocean[- ]atmosphere", r"\bgulf stream", r"\bkuroshio", r"\bsea\b",
    r"storm surge", r"\bargo\b", r"altimet", r"sea surface height", r"\bocean currents?", r"overturning",
    r"\bamoc\b", r"\bsignificant wave", r"wave height", r"\bmixed[- ]layer", r"\bglorys\b", r"\bhycom\b",
    r"\bnemo\b", r"\broms\b", r"\bwavewatch", r"marine heatwave", r"\bsouth china sea", r"\byellow sea",
    r"\bmarginal seas?", r"\bsea state", r"\bswell", r"indian ocean dipole", r"\biod\b",
    r"海洋", r"海温", r"海表", r"海浪", r"深海", r"厄尔尼诺", r"拉尼娜", r"海流", r"洋流", r"海冰", r"大洋",
    r"海况", r"潮", r"盐度", r"温盐", r"海面高度", r"中尺度涡", r"涡旋", r"环流", r"有效波高", r"波浪",
    r"海气", r"黑潮", r"南海", r"黄海", r"东海", r"近海", r"海平面", r"热浪",
)
WEATHER = _rx(
    r"\bweather", r"precipitation", r"\brain(fall)?\b", r"nowcast", r"\batmospher", r"meteorolog",
    r"air quality", r"aerosol", r"\bclimate model", r"\bera5\b", r"\bz500\b", r"\bt850\b",
    r"\bsub-?seasonal", r"medium-range", r"\bradar echo", r"\bstorm(?! surge)", r"\bcyclone", r"\btyphoon", r"\bhurricane",
    r"\bgeopotential", r"\bwind power", r"\bpm2\.5", r"\bgraphcast", r"pangu-weather", r"\bfourcastnet",
    r"气象", r"天气", r"大气", r"降水", r"暴雨", r"空气质量", r"气溶胶", r"台风", r"强对流", r"气温", r"云图",
)
AI = _rx(
    r"deep[- ]learning", r"neural", r"machine[- ]learning", r"data[- ]driven", r"artificial intelligence",
    r"\bai\b", r"\bai-", r"transformer", r"convolutional", r"\bcnns?\b", r"\blstm", r"\bgnn",
    r"foundation model", r"large (language )?models?", r"language model", r"\bllms?\b", r"\bgpt",
    r"emulator", r"u-?net", r"diffusion model", r"self-supervised", r"pre-?train", r"\bvit\b",
    r"\byolo", r"attention", r"\bdetr\b", r"\bmllm", r"neural operator", r"\bfno\b", r"graph network",
    r"\bconvlstm", r"\bgan\b", r"generative", r"reinforcement learning", r"gradient boosting", r"random forest",
    r"\bnetworks? (trained|learns?)", r"surrogate", r"physics-informed", r"\bpinns?\b",
    r"人工智能", r"大模型", r"深度学习", r"神经网络", r"智能", r"语言模型", r"基础模型", r"\bAI\b",
    r"机器学习", r"数据驱动", r"卷积", r"长短期记忆", r"图神经", r"生成式", r"扩散模型", r"自监督", r"预训练",
)
FORECAST = _rx(
    r"forecast", r"predict", r"emulat", r"modell?ing system", r"ocean model", r"reanalysis",
    r"simulat", r"prediction", r"预报", r"预测", r"模拟",
)
RS = _rx(
    r"remote[- ]sensing", r"\bsatellite", r"(?-i:\bSARs?\b)", r"synthetic aperture radar", r"earth observation",
    r"\baerial\b", r"multispectral", r"hyperspectral", r"sentinel-?[12]", r"\blandsat", r"geospatial",
    r"\bspaceborne", r"\bairborne", r"optical (remote|satellite|imagery)", r"\bgaofen", r"\bgeo-?ai",
    r"\bEO\b", r"overhead imagery", r"\bterrasar", r"radarsat", r"\bcosmo-skymed", r"\bworldview", r"\bplanetscope",
    r"\bmodis\b", r"\bhls\b", r"\bvhr\b", r"very[- ]high[- ]resolution", r"aerial scenes?", r"\bgeo-?spatial",
    r"遥感", r"卫星", r"空天", r"合成孔径雷达", r"对地观测", r"航空影像", r"高分",
)
# Named remote-sensing foundation / vision-language models of the field.
RS_FM_NAMES = (r"\b(satmae|prithvi|spectralgpt|skysense|ringmo|geochat|croma|dofa|scale-?mae|remoteclip|georsclip|"
               r"skyclip|earthgpt|lhrs-bot|rsgpt|geollm|satlas|seco\b|ssl4eo|gfm\b|spectralearth|hypersigma|"
               r"rsprompter|samrs|earthdial|geopixel|skyeyegpt|rs-?llava|rsvg|msgfm|satvit|usat\b|presto\b|"
               r"anysat|galileo\b|copernicus-fm|terramind|clay foundation)")
FOUNDATION = _rx(
    r"foundation model", r"pre-?train", r"self-supervised", r"masked (image|auto)", r"\bmae\b",
    r"contrastive", r"vision[- ]language", r"visual language", r"\bclip\b",
    r"\bvlms?\b", r"\bmllms?\b", r"multimodal large", r"large (vision|multimodal|remote sensing) model",
    r"billion[- ]parameter", r"representation learning", r"\bgpt", r"\bjepa\b", r"large[- ]scale pretrain",
    r"general[- ]purpose", r"captioning", r"visual question", r"\bvqa\b", r"visual grounding",
    r"segment anything", r"open-vocabulary", r"zero-shot", r"instruction[- ]tun", r"multimodal llm",
    r"large multimodal", r"mixture[- ]of[- ]experts", r"\bvision transformers? pretrained",
    r"大模型", r"基础模型", r"预训练", r"多模态", r"视觉-?语言", r"百亿", r"千亿", r"亿级", r"图文", r"视觉问答", r"指令微调",
    RS_FM_NAMES,
)
TASK_SPECIFIC = _rx(
    r"building", r"change detection", r"\bcrops?\b", r"yield", r"wildfire", r"burn(ed|t) area",
    r"oil spill", r"land (cover|use)", r"super-?resolution", r"tree species", r"forest", r"soybean",
    r"wheat", r"road extraction", r"flood", r"deformation", r"insar", r"cloud (removal|detection)",
    r"mangrove", r"aquaculture", r"coast ?line", r"shoreline", r"green tide", r"\balga", r"marine debris",
    r"\bcoral", r"sea ice (classification|type|chart)", r"ice chart", r"landslide", r"glacier", r"deforestation",
    r"\burban", r"poverty", r"solar panel", r"soil moisture", r"pan-?sharpen", r"denois", r"burn scar",
    r"damage assessment", r"\bagricultur", r"vegetation", r"methane", r"plume", r"\bdem\b",
    r"建筑", r"变化检测", r"作物", r"火灾", r"过火", r"溢油", r"土地利用", r"地物分类", r"道路", r"森林",
    r"洪水", r"洪涝", r"超分辨率", r"海岸线", r"养殖", r"绿潮", r"浒苔", r"云检测", r"滑坡", r"植被",
)
SHIP = _rx(
    r"\bships?\b", r"(?<!blood )(?<!retinal )(?<!coronary )\bvessels?\b(?! (segmentation|tree|wall))", r"\bwakes?\b", r"\bboats?\b", r"maritime (target|object)",
    r"\bwarships?\b", r"\bfishing\b", r"\bfrigates?\b", r"\btankers?\b", r"dark vessel", r"\bcargo ships?",
    r"舰船", r"船舶", r"船只", r"舰艇", r"船", r"舰",
)
# Uncrewed surface vessels: their camera / radar perception of the water is ship detection.
USV = _rx(r"\busvs?\b", r"unmanned surface (vessel|vehicle)", r"uncrewed surface", r"autonomous surface (vessel|vehicle)",
          r"无人艇", r"水面无人")
DETECT = _rx(
    r"detect", r"detector", r"recogni[sz]", r"recognition", r"\bcfar\b", r"false alarm", r"localization", r"bounding box", r"\bdetr\b",
    r"\byolo", r"segmentation", r"classification", r"identification", r"检测", r"识别", r"探测", r"分类", r"分割",
)
IMAGERY = _rx(
    r"(?-i:\bSARs?\b)", r"synthetic aperture", r"optical", r"infrared", r"remote[- ]sensing", r"satellite",
    r"imagery", r"images?\b", r"\bssdd\b", r"\bhrsid\b", r"\bscenes?\b", r"\bradar", r"\bharbou?rs?\b",
    r"\bports?\b", r"\binshore", r"\boffshore", r"near-?shore", r"thermal", r"\bvideo", r"spaceborne",
    r"遥感", r"图像", r"影像", r"红外", r"港口", r"近岸", r"海面", r"雷达", r"高分",
)
AIS = _rx(r"\bais\b", r"automatic identification system", r"trajector", r"vessel movement", r"轨迹")
DATASET_TITLE = _rx(
    r"\bdata ?set", r"\bbenchmark", r"\w+bench\b", r"\bcorpus\b", r"\bdata ?base\b", r"\bdata collection",
    r"\barchive\b", r"\bcorpora\b", r"数据集", r"基准", r"评测集", r"语料",
)
DATASET_BODY = _rx(
    r"we (release|present|introduce|construct|build|collect) (a|an|the)? ?(new |novel |large-scale |public )*(data ?set|benchmark)",
    r"(data ?set|benchmark) (is|are) (publicly )?(available|released)", r"\bimages? (are|were) annotated",
    r"annotat", r"instances", r"publicly available", r"image[- ]text pairs", r"数据集",
)
STRICT_IMAGERY = _rx(
    r"(?-i:\bSARs?\b)", r"synthetic aperture", r"optical (image|remote|satellite)", r"infrared",
    r"remote[- ]sensing", r"satellite imag", r"遥感", r"红外",
)
DATASET_RELEASE = _rx(
    r"we (release|present|introduce|construct|build|collect|propose|curate|create|assemble|establish|compile)\w* (a|an|the)? ?([\w-]+ ){0,4}(data ?set|benchmark|corpus)",
    r"^[^.:]{0,80}: (a|an|the) ([\w-]+ ){0,6}(data ?set|benchmark|corpus)\b",
    r"(构建|发布|建立|推出|公开|提出)[^。，]{0,20}(数据集|基准|评测集)",
    r"(data ?set|benchmark) (is|are|will be) (made )?(publicly )?(available|released)",
)
SAR_TARGET_DETECTION = _rx(
    r"((?-i:\bSARs?\b)|synthetic aperture radar|合成孔径雷达)[^.。]{0,30}(object|target|目标)[^.。]{0,8}(detect|检测|探测)",
)
ACADEMIC = _rx(r"\bwe (propose|present|introduce|develop)", r"this (paper|study|article)",
               r"in this (paper|study|work)", r"本文", r"experiments? (on|show)")
IMAGE_TEXT = _rx(r"image[- ]text", r"caption", r"vision[- ]language", r"instruction", r"图文")
DRIVING_MED = _rx(
    r"autonomous driving", r"self-driving", r"\bdriving\b", r"medical", r"radiolog", r"chest",
    r"x-ray", r"clinical", r"patient", r"\bct\b", r"\bmri\b", r"lesion", r"tumou?r",
    r"pedestrian", r"lidar", r"\bcoco\b", r"imagenet", r"natural images", r"visdrone", r"\buav\b",
    r"drone", r"无人机", r"医学", r"blood vessel", r"retina", r"vascular", r"coronary", r"angiograph",
)
# Underwater imaging, acoustics and robotics: marine words without ocean modelling.
UNDERWATER = _rx(r"underwater", r"\bauvs?\b", r"\bsonar", r"subsea", r"水下", r"声呐")
NEWS_STYLE = _rx(
    r"\bannounced\b", r"\bunveil", r"press release", r"\breleased\b", r"according to",
    r"\bforum\b", r"\bsymposium\b", r"\bworkshop\b", r"\bconference\b", r"\binstitute\b",
    r"researchers (at|from)", r"\bnews\b", r"\bdubbed\b", r"\bheld\b",
    r"论坛", r"大会", r"会议", r"召开", r"开幕", r"发布", r"问世", r"举办", r"记者", r"研讨会",
    r"宣告", r"报道", r"成功", r"团队",
)
# Strong signs of a general-purpose pretrained / vision-language / large model (not a task network).
FM_STRONG = _rx(
    r"foundation models?", r"vision[- ]language", r"\bvlms?\b", r"\bmllms?\b", r"multimodal (large )?language model",
    r"large (language|vision|multimodal|remote sensing|geospatial|pretrained) models?", r"\bllms?\b",
    r"large multimodal", r"billion[- ]parameter", r"大模型", r"基础模型", r"视觉-?语言", RS_FM_NAMES,
)
# Head nouns that make a title about a method or model rather than a dataset.
MODEL_HEAD = _rx(r"\bmodels?\b", r"\bnetworks?\b", r"\bframework", r"\bmethods?\b", r"\bapproach", r"\bdetector",
                 r"\blearning\b", r"\bsystem\b", r"模型", r"网络", r"方法", r"框架")
OCEAN_RS_TOPIC = _rx(r"ocean", r"marine", r"\bsea\b", r"海洋", r"深海", r"海上")

GROUPS: dict[str, re.Pattern[str]] = {
    "ocean": OCEAN, "weather": WEATHER, "ai": AI, "forecast": FORECAST, "rs": RS,
    "foundation": FOUNDATION, "task_specific": TASK_SPECIFIC, "ship": SHIP, "detect": DETECT,
    "imagery": IMAGERY, "ais": AIS, "dataset_body": DATASET_BODY, "image_text": IMAGE_TEXT,
    "off_domain": DRIVING_MED, "news_style": NEWS_STYLE, "strict_imagery": STRICT_IMAGERY,
    "dataset_release": DATASET_RELEASE, "academic": ACADEMIC, "sar_det": SAR_TARGET_DETECTION,
    "fm_strong": FM_STRONG, "underwater": UNDERWATER, "usv": USV,
}


@dataclass(frozen=True, slots=True)
class Hits:
    """How often each group matches in the title and in the whole text."""

    title: dict[str, int]
    body: dict[str, int]
    dataset_title: bool
    news: bool
    dataset_head: bool = False  # the title's head is a dataset / benchmark, not a model or method

    def t(self, group: str) -> int:
        return self.title[group]

    def b(self, group: str) -> int:
        return self.body[group]

    def any(self, group: str) -> bool:
        return self.body[group] > 0


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _dataset_head(title: str) -> bool:
    """English titles name their subject first ("A dataset for ... models"); Chinese ones
    last ("……模型评测基准"): compare the first (English) or last (Chinese) head nouns."""
    ds = [m.start() for m in DATASET_TITLE.finditer(title)]
    if not ds:
        return False
    ms = [m.start() for m in MODEL_HEAD.finditer(title)]
    if not ms:
        return True
    if len(_CJK.findall(title)) * 2 > len(title):
        return ds[-1] > ms[-1]
    return ds[0] < ms[0]


def hits(title: str, text: str, *, is_news: bool = False) -> Hits:
    return Hits(
        title={g: len(rx.findall(title)) for g, rx in GROUPS.items()},
        body={g: len(rx.findall(text)) for g, rx in GROUPS.items()},
        dataset_title=bool(DATASET_TITLE.search(title)),
        news=is_news,
        dataset_head=_dataset_head(title),
    )


FEATURE_NAMES: tuple[str, ...] = (
    *(f"t_{g}" for g in GROUPS), *(f"b_{g}" for g in GROUPS), "dataset_title", "news",
    "ocean_ai", "ocean_over_weather", "rs_fm", "ship_det_img", "ais_only", "rs_task", "dataset_head",
)


def rule_features(h: Hits) -> list[float]:
    """Numbers for a linear model: squashed counts plus the conjunctions the rules use."""
    def sq(n: int) -> float:
        return min(n, 4) / 4.0

    ocean = 3 * h.t("ocean") + h.b("ocean")
    weather = 3 * h.t("weather") + h.b("weather")
    return [
        *(sq(h.title[g]) for g in GROUPS), *(sq(h.body[g]) for g in GROUPS),
        float(h.dataset_title), float(h.news),
        float(h.any("ocean") and h.any("ai")),
        float(ocean > weather),
        float(h.any("rs") and h.b("foundation") > 0),
        float(h.any("ship") and h.any("detect") and h.any("imagery")),
        float(h.any("ais") and not h.any("imagery")),
        float(h.any("rs") and h.any("task_specific")),
        float(h.dataset_head),
    ]


@dataclass(frozen=True, slots=True)
class Vote:
    label: Label
    strength: float  # 0..1, how sure the rules are
    reason: str


def rule_vote(h: Hits) -> Vote:
    """The survey's boundary rules applied in order; the first that decides wins."""
    ocean = 3 * h.t("ocean") + h.b("ocean")
    weather = 3 * h.t("weather") + h.b("weather")
    ai = h.b("ai")
    ship_img = h.any("ship") and h.any("detect") and h.any("imagery")
    rs_fm = h.any("rs") and h.b("foundation") > 0
    ocean_title = h.t("ocean") > 0 and not h.t("rs")
    rs_fm_title = h.t("foundation") > 0 and h.any("rs") and not ocean_title
    in_fields = h.any("ship") or ocean >= 2 or h.any("rs") or h.any("strict_imagery")

    if h.news and (h.any("news_style") or not h.any("academic")):
        if not ai:
            return Vote(Label.IRRELEVANT, 0.7, "news without AI content")
        if weather > ocean and h.b("rs") == 0:
            return Vote(Label.IRRELEVANT, 0.8, "news about weather / atmosphere AI")
        if ocean or h.any("rs") or h.any("ship"):
            return Vote(Label.NEWS, 0.85, "news on AI for ocean or remote sensing")
        return Vote(Label.IRRELEVANT, 0.6, "news outside the survey's fields")

    if h.any("usv") and (h.any("detect") or h.any("imagery")) and not h.any("underwater"):
        return Vote(Label.SHIP_DETECTION, 0.6, "camera / radar perception from an uncrewed surface vessel")

    if h.dataset_head and in_fields and not h.t("task_specific") and not (
            h.t("off_domain") and not (h.t("ship") or h.t("rs"))) and not (weather > ocean and not h.any("rs")):
        return Vote(Label.DATASETS, 0.8, "title names a dataset / benchmark in the survey's fields")

    if rs_fm_title and not h.t("ship"):
        return Vote(Label.RS_FOUNDATION_MODELS, 0.8, "remote-sensing foundation / vision-language model")

    if (h.dataset_title or h.b("dataset_release")) and (h.any("ship") or ocean or h.any("rs") or h.any("imagery")):
        domain = h.any("ship") or ocean >= 2 or (h.any("rs") and (h.any("foundation") or h.any("image_text")
                                                                   or h.any("detect")))
        if (h.t("off_domain") and not (h.t("ship") or h.t("rs"))) or (
                h.t("task_specific") and not h.any("ship")):
            return Vote(Label.IRRELEVANT, 0.6, "task-specific or off-domain dataset")
        if domain:
            return Vote(Label.DATASETS, 0.85, "dataset / benchmark in the survey's fields")

    if (h.t("ais") or h.b("ais") >= 2) and not h.any("strict_imagery") and h.any("ship"):
        return Vote(Label.IRRELEVANT, 0.75, "AIS / trajectory AI, not image-based ship detection")

    if ship_img and h.t("ship") > 0:
        if rs_fm_title and not h.t("detect"):
            return Vote(Label.RS_FOUNDATION_MODELS, 0.6, "foundation model mentioning ships")
        return Vote(Label.SHIP_DETECTION, 0.9, "ship / vessel detection on imagery")

    if rs_fm_title or (rs_fm and (h.t("rs") > 0 or h.b("foundation") >= 2 or h.b("fm_strong") >= 1)
                       and not h.t("task_specific") and not ocean_title and ocean < 3):
        if h.t("off_domain") and not h.t("rs"):
            return Vote(Label.IRRELEVANT, 0.6, "foundation model outside remote sensing")
        return Vote(Label.RS_FOUNDATION_MODELS, 0.8, "remote-sensing foundation / vision-language model")

    if ship_img and h.b("ship") >= 2 and not h.t("ocean"):
        return Vote(Label.SHIP_DETECTION, 0.7, "ship / vessel detection on imagery")

    if ocean >= 2 and ai and ocean > weather:
        if h.any("underwater") and not h.any("forecast"):
            return Vote(Label.IRRELEVANT, 0.7, "underwater imaging or robotics, not ocean modelling")
        if h.any("rs") and not h.any("forecast") and h.any("task_specific"):
            return Vote(Label.IRRELEVANT, 0.6, "task-specific marine remote-sensing deep learning")
        return Vote(Label.OCEAN_MODELS, 0.8, "AI / deep-learning ocean modelling or forecasting")

    if ship_img:
        return Vote(Label.SHIP_DETECTION, 0.6, "ship detection mentioned with imagery")

    if h.any("sar_det") and not h.any("task_specific"):
        return Vote(Label.SHIP_DETECTION, 0.55, "SAR target detection (the survey's related techniques)")

    if weather > ocean and ai:
        return Vote(Label.IRRELEVANT, 0.85, "weather / atmosphere-only AI")
    if ocean and not ai:
        return Vote(Label.IRRELEVANT, 0.85, "ocean science without AI")
    if h.any("rs") and h.any("task_specific"):
        return Vote(Label.IRRELEVANT, 0.8, "task-specific remote-sensing deep learning")
    if h.any("off_domain"):
        return Vote(Label.IRRELEVANT, 0.85, "generic vision / medical / driving work")
    return Vote(Label.IRRELEVANT, 0.5, "no topic of the survey")


# The screen: does an item touch the survey's fields at all (the ocean, remote sensing, ships)?
# On a real arXiv day about one item in twelve does; the rest are irrelevant without further
# look. Deliberately broad (it must keep every relevant item); the learned model decides. It
# runs on every item of a whole-category harvest, so it is word and phrase look-ups, not a
# regular expression: ~0.1 ms an item.
FIELD_WORDS = frozenset({
    "sea", "seas", "seawater", "seafloor", "seabed", "marine", "maritime", "ship", "ships", "shipborne",
    "vessel", "vessels", "boat", "boats", "harbor", "harbour", "harbors", "harbours", "enso", "sst",
    "tide", "tides", "tidal", "landsat", "modis", "dota", "xview", "fair1m", "ssdd", "hrsid", "usv",
    "usvs", "swot", "era5", "geoai", "overhead", "sentinel", "coastal", "coastline", "coastlines",
})
FIELD_PREFIXES = ("ocean", "satellit", "aerial", "hyperspectral", "multispectral", "bathymetr", "altimet",
                  "spaceborne", "airborne", "polarimetr", "pansharpen", "geospatial", "remotesens",
                  "sentinel1", "sentinel2")
FIELD_PHRASES = (" remote sens", " earth observation", " synthetic aperture", " sea ice ", " land cover",
                 " land use", " cross view", " unmanned surface", " uncrewed surface", " earth system",
                 " wave height", " google earth", " earth imagery", " geo spatial", " geo foundation",
                 " geo locali", " geolocali", " el nino ", " la nina ", " el ni o ", " la ni a ", " global 10 m ")
FIELD_ACRONYMS = frozenset({"SAR", "SARs", "EO", "InSAR", "PolSAR"})  # case matters: not "sar" or "eo"
FIELD_CJK = ("海洋", "海上", "海面", "海温", "海浪", "深海", "海冰", "遥感", "卫星", "舰船", "船舶", "船只", "舰艇",
             "合成孔径", "对地观测", "航空", "港口", "厄尔尼诺", "潮汐", "空天")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")


# A record with its title alone (a journal deposit without abstract) says less: its screen also
# takes the words a title uses for the fields' imagery and places (drones, the Earth, cities,
# forests, farmland, disasters, planets), word parts of coined names (GlobalGeoTree, MMEarth)
# and the venue's name. Measured on the titles of every labelled relevant item
# (`seascout eval --cv`: "field screen on the titles").
TITLE_WORDS = frozenset({
    "earth", "uav", "uavs", "drone", "drones", "forest", "forests", "urban", "city", "cities", "farmland",
    "cropland", "crop", "crops", "canopy", "disaster", "disasters", "mars", "martian", "lunar", "planetary",
    "crater", "craters", "mstar", "sar", "geoscience", "habitat", "landform", "landforms", "wildfire",
    "flood", "floods", "glacier", "glaciers", "cadastral", "poverty", "nadir", "orbital", "space", "solar",
    "environmental", "species", "tree", "trees", "sky", "soundscape", "assimilation",
})
TITLE_PREFIXES = ("agricultur", "geo", "spectral", "earthquake", "landslide", "hydrolog", "ecolog")
TITLE_PARTS = ("earth", "geo", "sat2", "rsvlm", "rsclip")
TITLE_PHRASES = (" low altitude ", " change detection ", " land surface ", " from space ", " from the sky ",
                 " change analysis ", " damage assessment ", " semantic change ", " storm surge ")
_NOT_GEO = ("geometr", "geodesic")


def in_fields(title: str, text: str, *, bare: bool = False) -> bool:
    """True when the title or text names one of the survey's fields (words, word beginnings,
    phrases, case-sensitive acronyms and Chinese terms above). `bare`: the record has only its
    title (and `text` its venue), so the wider title vocabulary counts too."""
    raw = f"{title} {text}"
    words = _ASCII_WORD.findall(raw)
    if FIELD_ACRONYMS.intersection(words):
        return True
    lower = [w.lower() for w in words]
    if FIELD_WORDS.intersection(lower) or any(w.startswith(FIELD_PREFIXES) for w in lower):
        return True
    spaced = f" {' '.join(lower)} "
    if any(p in spaced for p in FIELD_PHRASES) or any(c in raw for c in FIELD_CJK):
        return True
    if not bare:
        return False
    lower = [w for w in lower if not w.startswith(_NOT_GEO)]
    return bool(TITLE_WORDS.intersection(lower) or any(w.startswith(TITLE_PREFIXES) for w in lower)
                or any(part in w for w in lower for part in TITLE_PARTS)
                or any(p in spaced for p in TITLE_PHRASES))
