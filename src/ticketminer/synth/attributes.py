"""What the synthetic shop's tickets carry besides text: attribute values, how often
each occurs, and how they are written in Chinese and English.

Values are stored as codes into these tuples by the columnar path, so a tuple's order
is part of the output: append, never reorder.
"""

from __future__ import annotations

CHANNELS = ("email", "chat", "web", "phone", "app")
CHANNEL_WEIGHTS = (0.30, 0.32, 0.14, 0.10, 0.14)

# "mixed" is Chinese text with English words and sentences in it.
LANGUAGES = ("zh", "en", "mixed")
LANGUAGE_WEIGHTS_DOMESTIC = (0.62, 0.26, 0.12)
LANGUAGE_WEIGHTS_ABROAD = (0.12, 0.80, 0.08)

REGIONS = ("华南", "华东", "华北", "西南", "华中", "海外")
REGION_WEIGHTS = (0.24, 0.30, 0.18, 0.12, 0.10, 0.06)
ABROAD = "海外"

CARRIERS = ("SF", "JD", "ZTO", "YTO", "EMS", "DHL")
CARRIER_WEIGHTS_DOMESTIC = (0.30, 0.25, 0.18, 0.15, 0.10, 0.02)
CARRIER_WEIGHTS_ABROAD = (0.10, 0.0, 0.0, 0.0, 0.30, 0.60)

WAREHOUSES = ("WH-GZ", "WH-SH", "WH-BJ", "WH-CD", "WH-WH")
WAREHOUSE_WEIGHTS = (0.24, 0.30, 0.20, 0.12, 0.14)
# Orders mostly ship from the warehouse nearest the customer, so warehouse and region
# are correlated the way a root-cause search meets them in real data.
HOME_WAREHOUSE = {
    "华南": "WH-GZ",
    "华东": "WH-SH",
    "华北": "WH-BJ",
    "西南": "WH-CD",
    "华中": "WH-WH",
    "海外": "WH-SH",
}
HOME_WAREHOUSE_SHARE = 0.7

PRODUCTS = (
    "phone-x10",
    "earbuds-air",
    "watch-s3",
    "tablet-pad11",
    "laptop-book14",
    "charger-65w",
    "router-ax3000",
    "speaker-mini",
    "camera-c4k",
    "powerbank-20k",
)
PRODUCT_WEIGHTS = (0.22, 0.16, 0.10, 0.09, 0.08, 0.10, 0.07, 0.07, 0.05, 0.06)

PAYMENT_METHODS = ("alipay", "wechat_pay", "unionpay", "credit_card", "paypal")
PAYMENT_WEIGHTS = (0.42, 0.34, 0.10, 0.09, 0.05)

# The app version released during a scenario (`Scenario.release`) is the last one:
# it has no share before the release and takes over gradually after it.
NEW_APP_VERSION = "5.2.0"
APP_VERSIONS = ("5.0.3", "5.1.0", "5.1.2", NEW_APP_VERSION)
APP_VERSION_WEIGHTS = (0.15, 0.35, 0.50, 0.0)
NEW_VERSION_PEAK_SHARE = 0.6
NEW_VERSION_ADOPTION_DAYS = 5.0

SEGMENTS = ("consumer", "business", "vip")
SEGMENT_WEIGHTS = (0.80, 0.15, 0.05)

# Categorical attributes in the order the columnar path draws them (later ones may
# depend on earlier ones). `order_id` is near-unique and kept as a number instead.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "region": REGIONS,
    "carrier": CARRIERS,
    "warehouse": WAREHOUSES,
    "product": PRODUCTS,
    "payment_method": PAYMENT_METHODS,
    "app_version": APP_VERSIONS,
    "segment": SEGMENTS,
}
# Keys an incident's root-cause dims may name: the attributes plus the channel.
DIM_VALUES: dict[str, tuple[str, ...]] = {**CATEGORIES, "channel": CHANNELS}

# --- how the values read in text ----------------------------------------------------

CARRIER_NAMES = {
    "SF": ("顺丰", "SF Express"),
    "JD": ("京东物流", "JD Logistics"),
    "ZTO": ("中通", "ZTO Express"),
    "YTO": ("圆通", "YTO Express"),
    "EMS": ("邮政EMS", "EMS"),
    "DHL": ("DHL", "DHL"),
}
PRODUCT_NAMES = {
    "phone-x10": ("X10手机", "X10 phone"),
    "earbuds-air": ("Air蓝牙耳机", "Air earbuds"),
    "watch-s3": ("S3智能手表", "S3 smartwatch"),
    "tablet-pad11": ("Pad11平板", "Pad 11 tablet"),
    "laptop-book14": ("Book14笔记本", "Book 14 laptop"),
    "charger-65w": ("65W充电器", "65W charger"),
    "router-ax3000": ("AX3000路由器", "AX3000 router"),
    "speaker-mini": ("Mini音箱", "Mini speaker"),
    "camera-c4k": ("C4K运动相机", "C4K action camera"),
    "powerbank-20k": ("20000毫安充电宝", "20k power bank"),
}
PAYMENT_NAMES = {
    "alipay": ("支付宝", "Alipay"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "unionpay": ("银联", "UnionPay"),
    "credit_card": ("信用卡", "credit card"),
    "paypal": ("PayPal", "PayPal"),
}
WAREHOUSE_NAMES = {
    "WH-GZ": ("广州仓", "Guangzhou warehouse"),
    "WH-SH": ("上海仓", "Shanghai warehouse"),
    "WH-BJ": ("北京仓", "Beijing warehouse"),
    "WH-CD": ("成都仓", "Chengdu warehouse"),
    "WH-WH": ("武汉仓", "Wuhan warehouse"),
}
CITIES = {
    "华南": (
        ("广州", "Guangzhou"),
        ("深圳", "Shenzhen"),
        ("东莞", "Dongguan"),
        ("南宁", "Nanning"),
    ),
    "华东": (("上海", "Shanghai"), ("杭州", "Hangzhou"), ("南京", "Nanjing"), ("苏州", "Suzhou")),
    "华北": (("北京", "Beijing"), ("天津", "Tianjin"), ("石家庄", "Shijiazhuang")),
    "西南": (("成都", "Chengdu"), ("重庆", "Chongqing"), ("昆明", "Kunming")),
    "华中": (("武汉", "Wuhan"), ("长沙", "Changsha"), ("郑州", "Zhengzhou")),
    "海外": (("新加坡", "Singapore"), ("吉隆坡", "Kuala Lumpur"), ("悉尼", "Sydney")),
}
