"""News acquisition: a Scrapy project (settings, spiders) plus pure extraction functions.

`spiders.news_runner.run_news` runs each site's crawl in its own subprocess and stores the
results; the modules here never open the warehouse.
"""
