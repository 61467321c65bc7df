"""Scrapy spiders: the config-driven listing spider and one subclass per built-in site."""
