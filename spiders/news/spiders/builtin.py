"""One spider per news site the survey cites (`scrapy crawl cas`, … — see `scrapy list`).

Each is the generic listing spider with the site's configuration from `spiders.news.sites`;
a `[[sources.news.sites]]` entry with the same name in `seascout.toml` replaces it when the
runner starts the crawl.
"""

from __future__ import annotations

from typing import Any

from spiders.news.sites import builtin_site
from spiders.news.spiders.listing_spider import ListingSpider


def _delay(name: str) -> dict[str, Any]:
    return {"DOWNLOAD_DELAY": builtin_site(name).download_delay}


class CasSpider(ListingSpider):
    name = builtin = "cas"  # 中国科学院 cas.cn
    custom_settings = _delay("cas")


class QdioSpider(ListingSpider):
    name = builtin = "qdio"  # 中国科学院海洋研究所 qdio.cas.cn
    custom_settings = _delay("qdio")


class SoedSpider(ListingSpider):
    name = builtin = "soed"  # 卫星海洋环境动力学国家重点实验室 soed.sio.org.cn
    custom_settings = _delay("soed")


class CcfSpider(ListingSpider):
    name = builtin = "ccf"  # 中国计算机学会 ccf.org.cn
    custom_settings = _delay("ccf")


class ScienceChinaSpider(ListingSpider):
    name = builtin = "science_china"  # 中国网科学 science.china.com.cn
    custom_settings = _delay("science_china")


class CniiSpider(ListingSpider):
    name = builtin = "cnii"  # 中国信息产业网 cnii.com.cn
    custom_settings = _delay("cnii")
