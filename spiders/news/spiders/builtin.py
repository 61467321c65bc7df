"""One spider per news site the survey cites (`scrapy crawl cas`, … — see `scrapy list`).

Each is the generic listing spider with the site's configuration from `spiders.news.sites`;
a `[[sources.news.sites]]` entry with the same name in `seascout.toml` replaces it when the
runner starts the crawl.
"""

from __future__ import annotations

from spiders.news.spiders.listing_spider import ListingSpider


class CasSpider(ListingSpider):
    name = builtin = "cas"  # 中国科学院 cas.cn


class QdioSpider(ListingSpider):
    name = builtin = "qdio"  # 中国科学院海洋研究所 qdio.cas.cn


class SoedSpider(ListingSpider):
    name = builtin = "soed"  # 卫星海洋环境动力学国家重点实验室 soed.sio.org.cn


class CcfSpider(ListingSpider):
    name = builtin = "ccf"  # 中国计算机学会 ccf.org.cn


class ScienceChinaSpider(ListingSpider):
    name = builtin = "science_china"  # 中国网科学 science.china.com.cn


class CniiSpider(ListingSpider):
    name = builtin = "cnii"  # 中国信息产业网 cnii.com.cn
