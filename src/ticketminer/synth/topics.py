"""The shop's recurring issues: how often each occurs, which attributes its tickets
carry, how hard it is to solve, and many ways customers put it in Chinese and
English.

Phrasings share words across topics (订单, refund, App, 登录 ...) and vary in
structure, so a bag-of-words clusterer finds the topics without each being a fixed
string. Slots: {product} {order} {carrier} {city} {amount} {date} {days} {payment}
{version} {warehouse}.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wording:
    """Phrasings in one language; `angry` lines make a ticket read negative."""

    subjects: tuple[str, ...]
    sentences: tuple[str, ...]
    angry: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()
    # A topic's own closings and customer follow-ups replace the generic ones (a
    # compliment does not end "please help asap").
    closings: tuple[str, ...] = ()
    follow_ups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    tag: str
    share: float  # of `Scenario.tickets_per_day`; 0: only an incident or a journey brings it
    attributes: tuple[str, ...]  # categorical attribute keys its tickets carry
    has_order: bool  # whether its tickets name an order (attribute order_id)
    one_touch: float  # probability that one public agent reply solves it
    negative: float  # base share of tickets written in anger
    effort: float  # scales the time from first reply to solve
    reopen: float  # probability that a solved ticket is reopened
    team: tuple[str, str]  # who internal notes escalate to (zh, en)
    zh: Wording
    en: Wording


@dataclass(frozen=True, slots=True)
class Story:
    """Extra wording that an incident's tickets carry (e.g. a storm halting a carrier);
    `keywords` are the words a root-cause search should find in them."""

    zh: Wording
    en: Wording
    keywords: tuple[str, ...]


_CUSTOMER = ("region", "segment")
_SHIPPED = ("carrier", "warehouse", "product")

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="shipping_delay",
        tag="shipping",
        share=0.17,
        attributes=(*_CUSTOMER, *_SHIPPED),
        has_order=True,
        one_touch=0.72,
        negative=0.03,
        effort=1.5,
        reopen=0.06,
        team=("物流组", "logistics team"),
        zh=Wording(
            subjects=(
                "订单{order}物流一直不更新",
                "快递怎么还没到？",
                "{carrier}的包裹{days}天没动了",
                "催一下物流",
                "物流延迟，{product}什么时候能送到",
                "我的快递卡在中转站了",
                "包裹显示运输中好几天了",
                "请帮忙查下快递到哪了",
            ),
            sentences=(
                "我{date}下的单，到现在物流信息还停在{city}转运中心。",
                "{carrier}单号查了好几次，一直显示运输中，已经{days}天没有更新了。",
                "买的{product}说好三天到，现在都一个星期了还没收到。",
                "物流太慢了，能不能帮我催一下快递？",
                "快递员电话打不通，包裹也不知道到哪了。",
                "订单号{order}，麻烦查一下包裹现在在哪里。",
                "显示已发货但是物流一直没动静，是不是丢件了？",
                "我在{city}，平时两天就到，这次怎么这么慢。",
                "急用，请问最快什么时候能派送？",
                "从{warehouse}发出以后就再也没有物流记录了。",
            ),
            angry=(
                "什么破物流，等了{days}天了！",
                "太差了，再也不在你们家买了。",
                "说好的次日达呢？骗人吧。",
            ),
            replies=(
                "您好，已为您联系{carrier}核实，包裹目前在{city}分拨中心，预计1-2天内派送。",
                "很抱歉让您久等了，已催促快递加急派送，请留意物流更新。",
                "查询到包裹在途中有延误，我们会持续跟进，到货前有问题随时联系我们。",
            ),
        ),
        en=Wording(
            subjects=(
                "Where is my order {order}?",
                "Package delayed - no tracking update",
                "{carrier} shipment stuck for {days} days",
                "My {product} still hasn't arrived",
                "Late delivery",
                "Tracking hasn't moved since {date}",
                "Order shipped but never delivered",
            ),
            sentences=(
                "I placed the order on {date} and the tracking has been stuck at the {city} hub "
                "ever since.",
                "The {carrier} tracking number shows in transit but nothing has changed for "
                "{days} days.",
                "The {product} was supposed to arrive within three days and it's been over a week.",
                "Could you chase the courier? I really need this package.",
                "Is my parcel lost? The last scan was {days} days ago.",
                "Order number {order} - please check where the package is.",
                "Delivery to {city} usually takes two days, why so slow this time?",
                "Can you tell me the expected delivery date?",
                "It left the {warehouse} and there has been no tracking since.",
            ),
            angry=(
                "This is terrible, I've been waiting {days} days!",
                "Worst delivery experience ever.",
                "Absolutely unacceptable service.",
            ),
            replies=(
                "I've checked with {carrier}: the parcel is at the {city} hub and should be "
                "delivered within 1-2 days.",
                "Sorry for the wait - I've asked the courier to prioritise your delivery.",
                "The parcel is delayed in transit; we're following up and will keep you posted.",
            ),
        ),
    ),
    Topic(
        key="payment_failure",
        tag="payment",
        share=0.08,
        attributes=(*_CUSTOMER, "payment_method", "app_version", "product"),
        has_order=True,
        one_touch=0.70,
        negative=0.02,
        effort=0.8,
        reopen=0.05,
        team=("支付组", "payments team"),
        zh=Wording(
            subjects=(
                "付款失败",
                "支付不成功但是钱扣了",
                "{payment}付不了款",
                "下单时一直提示支付失败",
                "付款页面报错",
                "扣款了订单却显示未支付",
            ),
            sentences=(
                "用{payment}付款的时候一直提示支付失败，试了好几次。",
                "钱已经从卡里扣了{amount}元，但订单还是待付款状态。",
                "付款页面转圈很久然后报错，订单{order}没付成功。",
                "换了银行卡也不行，提示交易异常。",
                "App版本是{version}，支付时直接跳回首页。",
                "同一笔订单被扣了两次款，请帮忙核实。",
                "付款一直失败，活动快结束了，很着急。",
                "支付完成后页面显示网络错误，不知道到底付没付成功。",
            ),
            angry=("付个款都这么费劲，太差了！", "钱扣了不给订单，这是诈骗吗？"),
            replies=(
                "您好，这笔{amount}元的扣款系统会在24小时内自动退回，请您重新下单。",
                "已核实，订单{order}的支付已补单成功。",
            ),
        ),
        en=Wording(
            subjects=(
                "Payment failed",
                "Charged but order shows unpaid",
                "Can't pay with {payment}",
                "Checkout error when paying",
                "Payment keeps getting declined",
                "Double charge on order {order}",
            ),
            sentences=(
                "Every time I try to pay with {payment} I get payment failed.",
                "My card was charged ¥{amount} but the order {order} still says awaiting payment.",
                "The checkout page spins for a long time and then shows an error.",
                "I tried another card and it still doesn't go through.",
                "I'm on app version {version} and the payment screen just closes.",
                "I was charged twice for the same order, please check.",
                "The payment went through on my bank side but your site says it failed.",
            ),
            angry=(
                "This is ridiculous, you took my money and gave me nothing!",
                "Terrible checkout, fix it.",
            ),
            replies=(
                "The ¥{amount} charge will be reversed automatically within 24 hours; please "
                "place the order again.",
                "I've confirmed the payment and updated order {order} to paid.",
            ),
        ),
    ),
    Topic(
        key="refund_request",
        tag="refund",
        share=0.12,
        attributes=(*_CUSTOMER, "payment_method", "product"),
        has_order=True,
        one_touch=0.68,
        negative=0.03,
        effort=1.5,
        reopen=0.07,
        team=("财务组", "finance team"),
        zh=Wording(
            subjects=(
                "申请退款",
                "退款什么时候到账",
                "取消订单退款",
                "退款进度查询",
                "我要退钱",
                "退款一直没到",
            ),
            sentences=(
                "订单{order}已经取消了，退款{amount}元到现在还没到账。",
                "{date}申请的退款，显示已同意，但是{payment}里没有收到钱。",
                "商品还没发货我就取消了，请尽快退款。",
                "退货已经寄回去了，仓库也签收了，退款什么时候处理？",
                "不想要了，能直接退款吗？",
                "请问退款原路返回需要几个工作日？",
                "{product}不合适想退，钱会退到哪里？",
            ),
            angry=("退个款拖了{days}天，太差劲了！", "再不退款我就投诉到消协。"),
            replies=(
                "您好，退款已提交，{amount}元将在1-3个工作日原路退回{payment}。",
                "已为您加急处理退款，请留意到账通知。",
            ),
        ),
        en=Wording(
            subjects=(
                "Refund request",
                "When will I get my refund?",
                "Refund not received",
                "Cancel order and refund",
                "Refund status for {order}",
                "I want my money back",
            ),
            sentences=(
                "I cancelled order {order} but the refund of ¥{amount} hasn't arrived yet.",
                "My refund was approved on {date} but nothing came back to my {payment} account.",
                "I cancelled before it shipped, please refund me as soon as possible.",
                "The warehouse received my return, when will the refund be processed?",
                "How many business days does a refund to the original payment method take?",
                "I no longer want the {product}, can I get a refund?",
            ),
            angry=(
                "{days} days and still no refund, this is a scam.",
                "I'll file a complaint with my bank if this isn't fixed.",
            ),
            replies=(
                "Your refund of ¥{amount} has been issued to your {payment} and should arrive in "
                "1-3 business days.",
                "I've expedited your refund; you'll get a notification once it lands.",
            ),
        ),
    ),
    Topic(
        key="damaged_item",
        tag="damaged",
        share=0.08,
        attributes=(*_CUSTOMER, *_SHIPPED),
        has_order=True,
        one_touch=0.60,
        negative=0.03,
        effort=1.5,
        reopen=0.08,
        team=("售后组", "after-sales team"),
        zh=Wording(
            subjects=(
                "收到的商品坏了",
                "{product}外包装破损",
                "商品有损坏",
                "屏幕碎了",
                "到货就是坏的",
                "快递把东西压坏了",
            ),
            sentences=(
                "今天收到{product}，打开发现屏幕有裂痕。",
                "外箱被压扁了，里面的{product}外壳也有磕碰。",
                "开箱就发现机身有划痕，像是摔过。",
                "通电之后完全没反应，可能运输途中摔坏了。",
                "已拍照留证，请问是换货还是退款？",
                "{carrier}送来的时候箱子就是破的。",
                "配件少了一个，主机也有凹陷。",
            ),
            angry=("花了{amount}块买个坏的，太差了！", "这质量真是垃圾。"),
            replies=(
                "非常抱歉，已为您安排换新，快递员会上门取回破损商品。",
                "请提供开箱照片，我们将尽快为您补发。",
            ),
        ),
        en=Wording(
            subjects=(
                "Item arrived damaged",
                "Broken {product}",
                "Cracked screen on delivery",
                "Box crushed, product damaged",
                "Received a defective unit",
                "Damaged in shipping",
            ),
            sentences=(
                "The {product} arrived today with a cracked screen.",
                "The box was crushed and the {product} has dents on the side.",
                "It doesn't power on at all, probably dropped during shipping.",
                "I took photos of the damage, should I ask for a replacement or a refund?",
                "The {carrier} courier delivered it with the packaging torn open.",
                "There are deep scratches all over the casing.",
            ),
            angry=("Paid ¥{amount} for a broken product, terrible.", "This is garbage quality."),
            replies=(
                "I'm sorry about that - a replacement is on its way and the courier will collect "
                "the damaged unit.",
                "Please send photos of the damage and we'll ship a new one right away.",
            ),
        ),
    ),
    Topic(
        key="account_locked",
        tag="account",
        share=0.08,
        attributes=(*_CUSTOMER, "app_version"),
        has_order=False,
        one_touch=0.80,
        negative=0.02,
        effort=0.6,
        reopen=0.05,
        team=("账号安全组", "account security team"),
        zh=Wording(
            subjects=(
                "账号被锁定了",
                "登录不上",
                "账号被冻结怎么办",
                "收不到验证码无法登录",
                "密码正确却登录失败",
                "账户异常被限制",
            ),
            sentences=(
                "输错几次密码后账号就被锁了，提示24小时后再试。",
                "登录的时候一直收不到短信验证码。",
                "账号突然被冻结，说是存在异常登录。",
                "换了手机号之后就登录不了原来的账号。",
                "重置密码的邮件一直没收到。",
                "提示账号存在风险已被限制，但我什么都没做。",
            ),
            angry=("连账号都登不上，什么破系统！", "莫名其妙封我号，太差了。"),
            replies=("您好，已为您解除账号锁定，请重新登录并修改密码。",),
        ),
        en=Wording(
            subjects=(
                "Account locked",
                "Can't log in",
                "Locked out of my account",
                "Verification code never arrives",
                "Password reset not working",
                "Account suspended for no reason",
            ),
            sentences=(
                "My account got locked after a few wrong password attempts.",
                "I never receive the SMS verification code when logging in.",
                "The password reset email doesn't arrive, I checked spam too.",
                "It says my account is restricted due to unusual activity but I did nothing.",
                "I changed my phone number and now I can't access my account.",
                "Login fails even though the password is correct.",
            ),
            angry=("This is terrible, I'm locked out for no reason!",),
            replies=("I've unlocked your account; please sign in and change your password.",),
        ),
    ),
    Topic(
        key="wrong_item",
        tag="wrong-item",
        share=0.07,
        attributes=(*_CUSTOMER, *_SHIPPED),
        has_order=True,
        one_touch=0.62,
        negative=0.02,
        effort=1.3,
        reopen=0.06,
        team=("仓储组", "warehouse team"),
        zh=Wording(
            subjects=(
                "发错货了",
                "收到的不是我买的东西",
                "颜色发错了",
                "型号不对",
                "商品与订单不符",
            ),
            sentences=(
                "我买的是{product}，收到的却是别的型号。",
                "订单{order}下单的是黑色，发来的是白色。",
                "包裹里的东西和订单完全不一样。",
                "少发了一件，只收到一个。",
                "规格发错了，我要的是大容量版本。",
                "请安排换货，把正确的{product}寄给我。",
            ),
            angry=("发货都能发错，太不专业了。",),
            replies=("抱歉给您带来不便，正确的{product}已重新发出，错发商品请用退货面单寄回。",),
        ),
        en=Wording(
            subjects=(
                "Wrong item received",
                "This isn't what I ordered",
                "Wrong colour sent",
                "Incorrect model in my package",
                "Order mix-up",
            ),
            sentences=(
                "I ordered the {product} but received a different model.",
                "I picked black on order {order} and got a white one.",
                "The package contains something completely different from my order.",
                "One item is missing from the box.",
                "Please send the correct {product} and tell me how to return this one.",
            ),
            angry=("How do you even get this wrong? Terrible.",),
            replies=(
                "Apologies for the mix-up: the correct {product} has shipped and a return label "
                "is attached for the wrong one.",
            ),
        ),
    ),
    Topic(
        key="invoice",
        tag="invoice",
        share=0.06,
        attributes=(*_CUSTOMER, "product", "payment_method"),
        has_order=True,
        one_touch=0.85,
        negative=0.01,
        effort=0.8,
        reopen=0.04,
        team=("财务组", "finance team"),
        zh=Wording(
            subjects=(
                "开发票",
                "发票抬头写错了",
                "申请增值税专用发票",
                "电子发票在哪里下载",
                "发票还没收到",
            ),
            sentences=(
                "订单{order}需要开具增值税专用发票，公司抬头和税号如下。",
                "电子发票一直没有发到邮箱。",
                "发票抬头写错了，麻烦帮我重开。",
                "报销需要纸质发票，可以邮寄吗？",
                "请问发票金额能不能包含运费？",
                "{date}的订单，在订单详情里找不到发票下载入口。",
            ),
            angry=("开个发票要等这么久，太慢了！",),
            replies=("您好，发票已重新开具并发送到您的邮箱，请查收。",),
        ),
        en=Wording(
            subjects=(
                "Invoice request",
                "Need a VAT invoice",
                "Wrong company name on invoice",
                "Where can I download my invoice?",
                "Invoice not received",
            ),
            sentences=(
                "I need a VAT invoice for order {order} for company reimbursement.",
                "The e-invoice never arrived in my mailbox.",
                "The company name on the invoice is wrong, please reissue it.",
                "Can you mail a paper invoice?",
                "I can't find the invoice download link in the order details.",
            ),
            angry=("Still no invoice after a week, awful.",),
            replies=("The invoice has been reissued and sent to your email.",),
        ),
    ),
    Topic(
        key="app_crash",
        tag="app",
        share=0.06,
        attributes=(*_CUSTOMER, "app_version"),
        has_order=False,
        one_touch=0.60,
        negative=0.02,
        effort=1.2,
        reopen=0.08,
        team=("技术组", "engineering"),
        zh=Wording(
            subjects=("App闪退", "打开App就崩溃", "应用一直卡死", "更新后App打不开", "App白屏"),
            sentences=(
                "更新到{version}以后，一打开App就闪退。",
                "浏览商品页面的时候App直接卡死，只能强制关闭。",
                "App一直白屏转圈，什么都加载不出来。",
                "清了缓存也重装了，还是闪退。",
                "点购物车就崩溃退出。",
                "App经常卡住，没法下单。",
            ),
            angry=("App烂透了，天天闪退！",),
            replies=("感谢反馈，技术团队正在排查，建议先卸载重装最新版本。",),
        ),
        en=Wording(
            subjects=(
                "App keeps crashing",
                "App crashes on launch",
                "App freezes",
                "Blank screen in the app",
                "App won't open after update",
            ),
            sentences=(
                "Since updating to {version} the app crashes as soon as I open it.",
                "The app freezes on the product page and I have to force close it.",
                "I reinstalled and cleared the cache, it still crashes.",
                "Tapping the cart makes the app close immediately.",
                "The app shows a blank white screen forever.",
            ),
            angry=("Your app is garbage, crashes every single time.",),
            replies=(
                "Thanks for reporting this. Please reinstall the latest version while our "
                "engineers investigate.",
            ),
        ),
    ),
    Topic(
        key="return_label",
        tag="return",
        share=0.07,
        attributes=(*_CUSTOMER, *_SHIPPED),
        has_order=True,
        one_touch=0.82,
        negative=0.01,
        effort=0.7,
        reopen=0.05,
        team=("售后组", "after-sales team"),
        zh=Wording(
            subjects=(
                "退货面单",
                "怎么打印退货单",
                "退货运单号在哪里",
                "上门取件预约",
                "寄回地址是什么",
            ),
            sentences=(
                "申请了退货，但是没有收到退货面单。",
                "请问退货地址是哪里？我想寄回{product}。",
                "能不能安排{carrier}上门取件？",
                "退货单号填错了，怎么修改？",
                "打印退货面单的链接打不开。",
                "运费险怎么用？寄回的运费谁承担？",
            ),
            angry=("退个货这么麻烦，太差了。",),
            replies=("已将退货面单发送到您的邮箱，并为您预约了{carrier}上门取件。",),
        ),
        en=Wording(
            subjects=(
                "Return label",
                "How do I print the return label?",
                "Need a return shipping label",
                "Schedule a pickup for my return",
                "Return address?",
            ),
            sentences=(
                "I requested a return but never got the return label.",
                "Where should I send the {product} back to?",
                "Can you arrange a {carrier} pickup for the return?",
                "The link to print the return label doesn't work.",
                "Who pays the return shipping?",
            ),
            angry=("Returning an item shouldn't be this painful. Terrible.",),
            replies=("I've emailed you a prepaid return label and booked a {carrier} pickup.",),
        ),
    ),
    Topic(
        key="warranty_repair",
        tag="warranty",
        share=0.08,
        attributes=(*_CUSTOMER, "product", "warehouse"),
        has_order=True,
        one_touch=0.45,
        negative=0.02,
        effort=3.0,
        reopen=0.10,
        team=("维修中心", "repair centre"),
        zh=Wording(
            subjects=(
                "申请保修",
                "售后维修",
                "{product}坏了能保修吗",
                "保修期内故障",
                "维修进度查询",
            ),
            sentences=(
                "{product}买了半年，最近充不进电，还在保修期内吧？",
                "寄修已经{days}天了，维修进度一直没更新。",
                "屏幕出现竖线，申请保修维修。",
                "请问保修需要提供发票吗？",
                "维修回来还是一样的问题。",
                "耳机一边没声音，可以免费换吗？",
            ),
            angry=("修了{days}天还没修好，太差了。",),
            replies=("已为您登记保修，请将{product}寄到{warehouse}维修中心，运费由我们承担。",),
        ),
        en=Wording(
            subjects=(
                "Warranty claim",
                "Repair request",
                "{product} broken within warranty",
                "Repair status?",
                "Is this covered by warranty?",
            ),
            sentences=(
                "My {product} stopped charging after six months, it should still be under "
                "warranty.",
                "I sent it in for repair {days} days ago and there's no update.",
                "There are vertical lines on the screen, I'd like a warranty repair.",
                "Do I need the invoice to claim warranty?",
                "It came back from repair with the same problem.",
            ),
            angry=("{days} days for a repair? Terrible service.",),
            replies=(
                "I've opened a warranty case; please send the {product} to our {warehouse} "
                "repair centre, shipping is on us.",
            ),
        ),
    ),
    Topic(
        key="address_change",
        tag="address",
        share=0.07,
        attributes=(*_CUSTOMER, "carrier", "warehouse"),
        has_order=True,
        one_touch=0.85,
        negative=0.01,
        effort=0.5,
        reopen=0.04,
        team=("物流组", "logistics team"),
        zh=Wording(
            subjects=(
                "修改收货地址",
                "地址填错了",
                "能改地址吗",
                "换个收件地址",
                "收货人电话写错了",
            ),
            sentences=(
                "下单的时候地址写错了，能改成{city}的新地址吗？",
                "订单{order}还没发货，想修改收货地址。",
                "已经发货了还能改地址吗？我搬家了。",
                "收件人电话填错了，麻烦帮忙修改。",
                "能不能让{carrier}改派到公司地址？",
            ),
            angry=("改个地址都不行，太差了。",),
            replies=("已为您修改收货地址，新的地址将在发货时生效。",),
        ),
        en=Wording(
            subjects=(
                "Change delivery address",
                "Wrong shipping address",
                "Update address on order {order}",
                "Can I redirect my parcel?",
                "Typo in my address",
            ),
            sentences=(
                "I entered the wrong address, can you change it to my new place in {city}?",
                "Order {order} hasn't shipped yet, I'd like to update the delivery address.",
                "It has already shipped, can {carrier} redirect it?",
                "The phone number for the recipient is wrong.",
            ),
            angry=("You can't even change an address? Terrible.",),
            replies=("I've updated the delivery address on your order.",),
        ),
    ),
    Topic(
        key="coupon_not_applied",
        tag="promotion",
        share=0.06,
        attributes=(*_CUSTOMER, "payment_method", "app_version", "product"),
        has_order=True,
        one_touch=0.78,
        negative=0.02,
        effort=0.6,
        reopen=0.04,
        team=("运营组", "promotions team"),
        zh=Wording(
            subjects=("优惠券用不了", "满减没生效", "领的券无法使用", "优惠没有减", "折扣码无效"),
            sentences=(
                "领了满{amount}减50的券，结算时没有抵扣。",
                "提示优惠券不适用于该商品，但是活动页面写的是全场通用。",
                "下单后才发现优惠没减，能补差价吗？",
                "输入折扣码显示无效。",
                "会员券过期了，能不能延期？",
                "用{payment}付款的时候券就消失了。",
            ),
            angry=("优惠券就是骗人的，太差了！",),
            replies=("已为您补发优惠券，并退还差价{amount}元。",),
        ),
        en=Wording(
            subjects=(
                "Coupon not applied",
                "Discount code invalid",
                "Promo didn't apply at checkout",
                "Voucher missing",
                "Price difference refund",
            ),
            sentences=(
                "The coupon didn't apply at checkout even though the order is over ¥{amount}.",
                "It says the voucher isn't valid for this product but the promo page says "
                "sitewide.",
                "The discount code shows as invalid.",
                "I only noticed after paying that the discount wasn't applied, can you refund "
                "the difference?",
                "My member coupon disappeared when I switched to {payment}.",
            ),
            angry=("Your coupons are a scam. Terrible.",),
            replies=("I've reissued the coupon and refunded the price difference of ¥{amount}.",),
        ),
    ),
    Topic(
        key="app_login_loop",
        tag="app",
        share=0.0,
        attributes=(*_CUSTOMER, "app_version"),
        has_order=False,
        one_touch=0.50,
        negative=0.03,
        effort=1.0,
        reopen=0.08,
        team=("技术组", "engineering"),
        zh=Wording(
            subjects=(
                "新版本登录后一直跳回登录页",
                "更新后进不去App",
                "新版本闪退无法登录",
                "登录循环",
                "升级后一直让我重新登录",
            ),
            sentences=(
                "升级到{version}后，输完密码登录成功又跳回登录页面，一直循环。",
                "新版本登录完马上闪退，进不去首页。",
                "更新以后每次打开都要重新登录，登录了又退出来。",
                "验证码输完之后页面闪一下又回到登录界面。",
                "旧版本是好的，更新到新版本就登不上了。",
            ),
            angry=("更新完直接用不了，太差了！",),
            replies=("您好，这是新版本的已知问题，修复版本即将发布，可先清除缓存后重试。",),
        ),
        en=Wording(
            subjects=(
                "Login loop after update",
                "Stuck on login screen in new version",
                "App logs me out right after signing in",
                "Can't get past login since {version}",
                "New version keeps asking me to log in",
            ),
            sentences=(
                "After updating to {version}, I log in and it sends me straight back to the "
                "login screen.",
                "The new version crashes right after I sign in.",
                "Every time I enter the code the screen flashes and I'm back at login.",
                "It worked fine on the old version, the update broke login.",
            ),
            angry=("Your update completely broke the app. Terrible.",),
            replies=(
                "This is a known issue in the new version; a fix is coming. Clearing the app "
                "cache may help meanwhile.",
            ),
        ),
    ),
    Topic(
        key="account_activation",
        tag="activation",
        share=0.0,
        attributes=(*_CUSTOMER, "product"),
        has_order=False,
        one_touch=0.70,
        negative=0.03,
        effort=0.7,
        reopen=0.06,
        team=("会员服务组", "membership team"),
        zh=Wording(
            subjects=(
                "激活码一直收不到",
                "新账号激活失败",
                "会员激活不了",
                "{product}新设备激活不了",
                "激活链接失效了",
                "保修登记激活失败",
                "刚注册的账号无法激活",
                "激活邮件没收到",
            ),
            sentences=(
                "刚注册的新账号，激活码一直没有发过来。",
                "点击邮件里的激活链接，提示链接已过期。",
                "新买的{product}开机激活的时候一直提示激活失败。",
                "开通会员后一直显示未激活，会员权益用不了。",
                "包装盒里的激活卡刮开后输入，提示激活码无效。",
                "注册完收到激活邮件，点了激活按钮没有反应。",
                "新设备绑定账号时卡在激活这一步，重试了好几次。",
                "保修登记需要激活，但是激活页面一直打不开。",
                "激活码输入以后提示已被使用，可我是第一次激活。",
                "开通新会员后，激活短信等了一整天都没收到。",
                "前几天刚注册的，到现在账号还是待激活状态。",
                "电子保修卡激活失败，提示序列号不存在。",
            ),
            angry=("刚买就激活不了，太失望了！", "注册个新账号都激活不了，什么体验。"),
            replies=(
                "您好，已为您重新发送激活码，请在30分钟内完成激活。",
                "已在后台为您手动激活账号，请重新打开App查看会员权益。",
                "新设备激活需先连接网络并更新到{version}，已为您重置激活状态，请再试一次。",
            ),
        ),
        en=Wording(
            subjects=(
                "Can't activate my new account",
                "Activation code never arrived",
                "Activation link expired",
                "New {product} won't activate",
                "Membership not activated",
                "Warranty registration activation failed",
                "Activation email missing",
            ),
            sentences=(
                "I just signed up and the activation code never arrived.",
                "The activation link in the email says it has expired.",
                "My new {product} gets stuck on the activation screen and says activation failed.",
                "I paid for the membership but it still shows as not activated.",
                "The activation card in the box says the code is invalid.",
                "I can't activate my new account, the activate button does nothing.",
                "Registering the warranty requires activation but the activation page won't load.",
                "It says the activation code was already used, but this is my first time.",
                "I signed up a few days ago and my account is still pending activation.",
                "Activating the new device on my account fails every time.",
            ),
            angry=(
                "I just bought this and can't even activate it. Very disappointed.",
                "Signing up shouldn't be this hard, terrible first impression.",
            ),
            replies=(
                "I've sent you a new activation code; it's valid for 30 minutes.",
                "I've activated your account manually - please reopen the app to see your "
                "membership.",
                "New devices need {version} or later to activate; I've reset the activation so "
                "you can try again.",
            ),
        ),
    ),
    Topic(
        key="packaging_praise",
        tag="praise",
        share=0.0,
        attributes=(*_CUSTOMER, "product"),
        has_order=False,
        one_touch=0.95,
        negative=0.0,
        effort=0.3,
        reopen=0.0,
        team=("客户体验组", "customer experience team"),
        zh=Wording(
            subjects=(
                "礼盒很漂亮，特别喜欢",
                "包装很精美，好喜欢",
                "感谢你们的用心包装，很喜欢",
                "礼盒很精美，很满意",
                "包装很用心，点赞",
                "表扬你们的包装，很满意",
            ),
            sentences=(
                "包装很用心，每个角都有保护，礼盒也很漂亮，非常满意。",
                "盒子设计得很漂亮，还附了贺卡，非常贴心，很喜欢。",
                "礼盒太好看了，质感很好，非常喜欢。",
                "送女朋友的{product}，礼盒包装太漂亮了，她特别喜欢，很有面子。",
                "包装太漂亮了，拆开的时候真的很惊喜，很喜欢。",
                "包装很用心，谢谢你们，非常满意！",
                "礼盒很精美，颜色也好看，非常喜欢。",
                "包装非常好，很精致，满意。",
                "包装细节做得很好，很用心，点赞。",
                "包装很高级，很漂亮，很满意，谢谢！",
                "{product}的礼盒很漂亮，质感很好，很满意。",
                "礼盒很精美，送人很有面子，朋友特别喜欢。",
            ),
            replies=(
                "感谢您的认可！我们会把您的好评转达给包装设计团队，祝您生活愉快。",
                "谢谢您的表扬，能让您和朋友满意是我们最开心的事！",
                "收到您的夸奖啦，非常感谢，期待再次为您服务。",
            ),
            closings=("再次感谢！", "会继续支持你们的！", "很满意，谢谢！"),
            follow_ups=("另外想问下，礼盒可以单独购买吗？", "下次买礼物还找你们，谢谢！"),
        ),
        en=Wording(
            subjects=(
                "Love the gift box",
                "Beautiful packaging!",
                "Thank you for the beautiful packaging",
                "Great gift box, thank you",
                "Kudos on the gift wrapping",
                "Such lovely packaging",
            ),
            sentences=(
                "I love the gift box!",
                "Beautiful packaging, my friend loved it.",
                "The packaging was so thoughtful, thank you.",
                "The gift box looks amazing and the {product} inside was perfectly protected.",
                "I bought the {product} as a present and the gift box made it look so special.",
                "Just wanted to say the packaging is beautiful - great job!",
                "My mum loved the gift box, it felt really premium.",
                "The unboxing experience was wonderful, thank you for the care.",
                "Such elegant packaging, it made a perfect gift.",
                "The box design is lovely and the little card was a nice touch.",
                "Compliments to whoever designed the gift box, it's gorgeous.",
            ),
            replies=(
                "Thank you so much for the kind words! I'll pass them on to our packaging team.",
                "We're delighted you and your friend loved the gift box - thanks for letting us "
                "know!",
                "Thanks for the lovely feedback, it made our day.",
            ),
            closings=("Thanks again!", "Keep up the great work!", "Best regards and thanks."),
            follow_ups=(
                "Also, can I buy the gift box on its own?",
                "Thanks again, you guys are great.",
            ),
        ),
    ),
)

TOPIC_KEYS: tuple[str, ...] = tuple(t.key for t in TOPICS)
TOPIC_INDEX: dict[str, int] = {key: i for i, key in enumerate(TOPIC_KEYS)}

STORIES: dict[str, Story] = {
    "storm": Story(
        zh=Wording(
            subjects=("暴雨快递停运了吗", "{carrier}停运，包裹不动了", "暴雨天气物流停了？"),
            sentences=(
                "{city}这几天暴雨，{carrier}是不是停运了？",
                "听说华南暴雨快递都停运了，我的包裹还能到吗？",
                "暴雨导致{carrier}网点停运，包裹三天没动。",
                "暴雨天气快递停运要到什么时候？",
            ),
        ),
        en=Wording(
            subjects=(
                "Deliveries suspended by the rainstorm?",
                "{carrier} suspended - parcel stuck",
            ),
            sentences=(
                "Heavy rainstorm in {city} - has {carrier} suspended deliveries?",
                "My parcel hasn't moved since the rainstorm started.",
                "Is {carrier} still suspended because of the rainstorm?",
            ),
        ),
        keywords=("暴雨", "停运", "rainstorm", "suspended"),
    ),
    "payment_release": Story(
        zh=Wording(
            subjects=("更新{version}后付款失败", "新版本付不了款"),
            sentences=(
                "升级到{version}之后用{payment}付款就一直失败。",
                "新版本{version}付款按钮点了没反应。",
                "昨天升级App后付款一直报错，旧版本是好的。",
            ),
        ),
        en=Wording(
            subjects=("Payment broken after {version} update",),
            sentences=(
                "Since the update to {version}, paying with {payment} always fails.",
                "After the {version} update the pay button does nothing.",
            ),
        ),
        keywords=("升级", "新版本", "update"),
    ),
    "coupon_outrage": Story(
        zh=Wording(
            subjects=("双11优惠券是骗人的", "双11满减用不了"),
            sentences=(
                "双11的优惠券根本用不了，说好的满减呢？骗子！",
                "双11活动优惠券全是套路，太恶心了。",
                "双11付款时券自动失效，欺骗消费者。",
            ),
        ),
        en=Wording(
            subjects=("11.11 coupons are a scam",),
            sentences=(
                "The 11.11 coupons are a total scam!",
                "Your 11.11 promo is fake, no discount at all.",
            ),
        ),
        keywords=("双11", "骗子", "11.11", "scam"),
    ),
}
