#!/usr/bin/env python3
"""Generate the SYNTHETIC Wuxue retailer registry and its labelled search queries.

Everything this script writes is synthetic demo data: no free data set lists Wuxue's
licensed tobacco retailers or town coordinates, so the shop names, owners ("李某甲"-style
placeholders, never real people), addresses, licence numbers and positions are all
invented. Town centres are rough synthetic points inside the county (115.37-115.83 E,
29.82-30.22 N); positions are scattered around them.

Outputs (deterministic; python3, standard library only):
  config/demo/retailers.csv               the registry, a plain CSV with the header
                                          licence,name,owner,address,town,lat,lng,
                                          market_inspector,account_manager,synthetic
                                          (synthetic = "yes" on every row: the data
                                          says itself that it is made up; the importer
                                          accepts the column and does not read it)
  tests/data/retailer_queries_dev.jsonl   50 queries to tune the search on
  tests/data/retailer_queries.jsonl       150 held-out queries to measure recall@5 on
  tests/data/retailer_mentions.jsonl      free-text intake descriptions (dev and test
                                          halves, with negatives) for match_text

Each query is {"q": ..., "licence": expected, "variant": rule}. The variant rules were
written before the search was tuned; the dev and test sets use different seeds and
disjoint retailers, so the search is never tuned on the queries it is measured on. A
query is kept only if its undisturbed fragment identifies at most three retailers (a
query that fits twenty shops equally has no single right answer).

Usage: python3 scripts/gen-retailers.py [--rows 2100] [--root .]
"""

import argparse
import csv
import json
import os
import random
import re

REGISTRY_SEED = 12313
DEV_SEED = 421182
TEST_SEED = 20261127
MENTION_SEED = 4211

# (town, short name, lat, lng, share of the shops, streets)
TOWNS = [
    ("武穴街道", "武穴", 29.844, 115.561, 380,
     ["永宁大道", "玉湖路", "民主路", "文化路", "江堤路", "刊江大道", "育才路", "丰收路", "商贸街", "滨江路"]),
    ("刊江街道", "刊江", 29.872, 115.500, 200,
     ["刊江路", "沿江路", "朝阳路", "工业大道", "太白路", "正街"]),
    ("田镇街道", "田镇", 29.905, 115.405, 180,
     ["田镇大道", "盘塘路", "马口路", "新街", "港口路", "正街"]),
    ("万丈湖街道", "万丈湖", 29.880, 115.625, 90,
     ["万丈湖路", "湖滨路", "农场路", "新街"]),
    ("梅川镇", "梅川", 30.020, 115.585, 250,
     ["正街", "新街", "梅川大道", "横岗路", "解放路", "建设路", "广济路"]),
    ("余川镇", "余川", 30.065, 115.640, 130,
     ["余川大道", "正街", "团山路", "新街"]),
    ("花桥镇", "花桥", 30.110, 115.700, 150,
     ["花桥大道", "正街", "中兴路", "东山路", "新街"]),
    ("大金镇", "大金", 30.150, 115.780, 150,
     ["大金大道", "正街", "金山路", "鸭棚路", "新街"]),
    ("石佛寺镇", "石佛寺", 29.955, 115.670, 130,
     ["石佛寺大道", "正街", "马口湖路", "新街"]),
    ("四望镇", "四望", 30.000, 115.470, 120,
     ["四望大道", "正街", "龙潭路", "新街"]),
    ("大法寺镇", "大法寺", 30.125, 115.520, 110,
     ["大法寺路", "正街", "洪武路", "新街"]),
    ("龙坪镇", "龙坪", 29.860, 115.735, 110,
     ["龙坪大道", "正街", "江堤路", "新洲路"]),
]

SURNAMES = list("李王张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔崔毛邱秦江顾侯邵孟龙万段雷钱汤尹易常武乔贺赖龚文")
PLACEHOLDER_GIVEN = ["某", "某某", "某甲", "某乙", "某丙", "某丁", "某戊", "某己", "某庚", "某辛"]
LUCKY = ["兴旺", "万家福", "好又多", "惠民", "佳佳", "鑫源", "福满多", "金龙", "华联", "百佳",
         "家家乐", "顺发", "隆盛", "恒通", "益民", "万隆", "永兴", "宏达", "吉祥", "福星",
         "旺旺", "天天", "乐购", "美佳", "和平", "金穗", "富源", "新华", "平安", "兴隆",
         "广源", "聚福", "鸿运", "春风", "红星", "东方", "长江", "龙腾", "财源", "诚信",
         "友谊", "阳光", "四季", "便民", "利民", "嘉禾", "金鑫", "一品", "好邻居", "幸福"]
VILLAGE_A = list("张李王刘陈杨黄郭周吴胡何石高新大小上下东西南北")
VILLAGE_B = ["湾", "垸", "家畈", "桥", "屋", "塘", "家湾", "垴", "庄", "冲", "坝", "林", "墩", "岭", "港", "河", "咀", "山"]


def vname(rng):
    return rng.choice(VILLAGE_A) + rng.choice(VILLAGE_B)


def shop_name(rng, town, short, street, village, surname):
    """One plausible shop name; patterns weighted like a rural registry."""
    """Returns (name, core): core is the name without its town prefix."""
    lucky = rng.choice(LUCKY)
    patterns = [
        (18, lambda: (town, f"老{surname}烟酒店")),
        (8, lambda: (short, f"老{surname}烟酒店")),
        (10, lambda: ("", f"{surname}记便利店")),
        (10, lambda: ("", f"{lucky}超市")),
        (6, lambda: (town, f"{lucky}超市")),
        (8, lambda: ("", f"{village}{surname}家副食店")),
        (6, lambda: ("", f"{village}副食店")),
        (7, lambda: ("", f"{street}{lucky}商店")),
        (6, lambda: (town, f"{lucky}烟酒商行")),
        (5, lambda: ("", f"{village}小卖部")),
        (5, lambda: ("", f"{surname}{rng.choice(['氏', '记', '家'])}百货")),
        (6, lambda: ("", f"{lucky}便利店")),
        (5, lambda: (f"武穴市{town}", f"{lucky}烟酒店")),
        (4, lambda: (short, f"{lucky}批发部")),
        (3, lambda: (town, f"{surname}{rng.choice(['姐', '哥', '叔', '嫂'])}烟酒")),
    ]
    total = sum(w for w, _ in patterns)
    pick = rng.uniform(0, total)
    for w, make in patterns:
        pick -= w
        if pick <= 0:
            prefix, core = make()
            return prefix + core, core
    prefix, core = patterns[0][1]()
    return prefix + core, core


def generate_registry(rows):
    rng = random.Random(REGISTRY_SEED)
    share = sum(t[4] for t in TOWNS)
    registry, names, cores, addresses = [], set(), set(), set()
    for ti, (town, short, lat0, lng0, weight, streets) in enumerate(TOWNS):
        villages = sorted({vname(rng) for _ in range(12)})
        count = round(rows * weight / share)
        inspector = f"S-00{(ti % 4) + 1}"
        manager = "S-005" if ti % 2 == 0 else "S-006"
        seq = 0
        while seq < count:
            surname = rng.choice(SURNAMES)
            on_street = rng.random() < 0.7
            street = rng.choice(streets)
            village = rng.choice(villages)
            name, core = shop_name(rng, town, short, street, village, surname)
            # One shop name per town, whatever the prefix: 梅川镇老李烟酒店 and 梅川老李烟酒店
            # would be the same shop to anyone reading them.
            if name in names or (town, core) in cores:
                continue
            if on_street:
                address = f"{town}{street}{rng.randint(1, 388)}号"
            else:
                address = f"{town}{village}村{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
            if address in addresses:
                continue
            owner_surname = surname if "老" in name or "记" in name or "家" in name or rng.random() < 0.5 \
                else rng.choice(SURNAMES)
            owner = owner_surname + rng.choice(PLACEHOLDER_GIVEN)
            spread = 0.012 if on_street else 0.03
            lat = min(max(rng.gauss(lat0, spread), 29.825), 30.215)
            lng = min(max(rng.gauss(lng0, spread), 115.375), 115.825)
            seq += 1
            names.add(name)
            cores.add((town, core))
            addresses.add(address)
            registry.append({
                "licence": f"4211821{ti + 1:02d}{seq:03d}",
                "name": name,
                "owner": owner,
                "address": address,
                "town": town,
                "short": short,
                "core": core,
                "lat": f"{lat:.6f}",
                "lng": f"{lng:.6f}",
                "market_inspector": inspector if rng.random() < 0.95 else "",
                "account_manager": manager if rng.random() < 0.9 else "",
            })
    return registry


# ---- query variant rules (written before any tuning) -------------------------------------

TRAD = dict(zip(
    "烟号镇记兴万华联发顺达丰汇宝龙门东陈刘张杨黄赵吴郑马罗谢许邓孙冯钟卢桥湾园乐满购货杂卖组设国凤长云红兰广场业贸鸿财车头庙乡区县厂农电学辉亿诚荣运进义韩苏叶谭蒋贾鲁钱汤严梦飞开关军丽伟强胜涛鹏杰锋齐沟闸铁阳冲仓余邹龚赖乔宁湖坝岭庄时",
    "煙號鎮記興萬華聯發順達豐匯寶龍門東陳劉張楊黃趙吳鄭馬羅謝許鄧孫馮鍾盧橋灣園樂滿購貨雜賣組設國鳳長雲紅蘭廣場業貿鴻財車頭廟鄉區縣廠農電學輝億誠榮運進義韓蘇葉譚蔣賈魯錢湯嚴夢飛開關軍麗偉強勝濤鵬傑鋒齊溝閘鐵陽衝倉餘鄒龔賴喬寧湖壩嶺莊時",
))
HOMOPHONE = {
    "李": "里理", "王": "汪", "张": "章", "刘": "留", "陈": "程晨", "杨": "阳", "黄": "皇",
    "赵": "照", "吴": "无", "周": "州", "徐": "许", "孙": "荪", "胡": "湖", "朱": "珠",
    "高": "糕", "林": "琳", "何": "河", "郭": "国", "马": "玛", "罗": "萝", "梁": "良",
    "宋": "送", "郑": "正", "谢": "协", "韩": "寒", "唐": "糖", "冯": "逢", "于": "余",
    "董": "懂", "程": "成", "曹": "草", "袁": "元", "邓": "登", "许": "徐", "傅": "付",
    "沈": "审", "曾": "增", "彭": "朋", "吕": "旅", "苏": "酥", "卢": "芦", "蒋": "江",
    "蔡": "菜", "余": "于", "潘": "盘", "杜": "度", "戴": "带", "夏": "下", "钟": "中",
    "汪": "王", "田": "甜", "任": "认", "姜": "江", "范": "饭", "方": "芳", "石": "时",
    "姚": "摇", "谭": "谈", "廖": "料", "邹": "周", "熊": "雄", "金": "今", "陆": "路",
    "郝": "好", "孔": "空", "崔": "翠", "毛": "猫", "邱": "秋", "秦": "琴", "江": "将",
    "顾": "故", "侯": "猴", "邵": "少", "孟": "梦", "龙": "隆", "万": "完", "段": "断",
    "雷": "蕾", "钱": "前", "汤": "唐", "尹": "引", "易": "亦", "常": "长", "武": "五",
    "乔": "桥", "贺": "和", "赖": "来", "龚": "宫", "文": "闻",
    "烟": "焉", "酒": "久", "超": "抄", "便": "变", "利": "力", "副": "付", "食": "实",
    "兴": "星", "旺": "望", "福": "富", "祥": "翔", "记": "纪", "鑫": "新", "隆": "龙",
    "达": "大", "源": "元", "佳": "家", "惠": "会", "民": "名", "乐": "勒", "商": "尚",
    "卖": "买", "盛": "胜", "华": "花", "联": "连", "购": "够", "顺": "舜", "恒": "衡",
    "湾": "弯", "垸": "院", "塘": "唐", "畈": "贩", "桥": "乔", "岭": "领", "坝": "霸",
    "鸿": "红", "运": "云", "财": "才", "诚": "成", "信": "心", "谊": "义", "阳": "洋",
    "禾": "和", "品": "聘", "邻": "林", "居": "局", "幸": "杏", "春": "椿", "风": "丰",
    "星": "兴", "东": "冬", "江": "姜", "腾": "藤", "平": "苹", "安": "按", "穗": "岁",
    "美": "每", "天": "添", "家": "佳", "多": "朵", "又": "有", "好": "号", "满": "曼",
    "聚": "巨", "广": "光", "金": "今", "百": "柏", "氏": "是", "姐": "界", "哥": "歌",
    "叔": "书", "嫂": "扫", "批": "披", "部": "步", "街": "接", "路": "鹿",
}
SHOP_TYPES = ["烟酒店", "烟酒商行", "便利店", "超市", "副食店", "商店", "小卖部", "百货", "批发部", "烟酒"]


def core_name(r):
    """The shop name without its town prefix."""
    return r["core"]


def plain(s):
    return re.sub(r"[\s\W_]+", "", s)


def v_no_town(rng, r):
    core = core_name(r)
    return (core, core) if core != r["name"] else None


def v_abbrev(rng, r):
    core = core_name(r)
    for suffix in ["店", "商行", "便利店", "超市", "副食店", "商店", "小卖部", "批发部"]:
        if core.endswith(suffix) and len(core) - len(suffix) >= 3:
            short = core[: -len(suffix)]
            return short, short
    return None


def v_homophone(rng, r):
    core = core_name(r)
    spots = [i for i, c in enumerate(core) if c in HOMOPHONE]
    if not spots:
        return None
    i = rng.choice(spots)
    q = core[:i] + rng.choice(HOMOPHONE[core[i]]) + core[i + 1:]
    return (q if rng.random() < 0.6 else r["short"] + q), core


def v_drop_char(rng, r):
    core = core_name(r)
    if len(core) < 5:
        return None
    i = rng.randrange(1, len(core) - 1)
    return core[:i] + core[i + 1:], core


def v_traditional(rng, r):
    q = "".join(TRAD.get(c, c) for c in r["name"])
    return (q, r["name"]) if q != r["name"] else None


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def v_noisy(rng, r):
    core = core_name(r)
    chars = list(core)
    for _ in range(rng.randint(1, 3)):
        chars.insert(rng.randrange(1, len(chars)), rng.choice([" ", "  ", "·", "，", "-", "　"]))
    q = "".join(chars)
    wrap = rng.choice(["{}", "【{}】", "“{}”", "{}！", " {} ", "({})", "{}。"])
    q = wrap.format(q)
    if rng.random() < 0.5:
        q = f"{r['short']} {q}"
    return q, core


def street_number(r):
    m = re.match(rf"^{r['town']}(.+?\d+号)$", r["address"])
    return m.group(1) if m else None


def v_street_number(rng, r):
    sn = street_number(r)
    if not sn:
        return None
    fmt = rng.choice(["{}", "{} ", "{}附近"])
    q = sn
    if rng.random() < 0.4:
        q = re.sub(r"(\d+)", lambda m: fullwidth(m.group(1)), q)
    if rng.random() < 0.3:
        q = re.sub(r"(\D)(\d)", r"\1 \2", q, count=1)
    return fmt.format(q), sn


def v_owner_surname(rng, r):
    kind = next((t for t in SHOP_TYPES if r["name"].endswith(t)), None)
    if not kind:
        return None
    surname = r["owner"][0]
    q = rng.choice(["{s}{k} {t}", "{t}{s}家{k}", "{t} {s}{k}"]).format(s=surname, k=kind, t=r["short"])
    return q, ("owner", r["town"], surname, kind)


def v_street_and_name(rng, r):
    sn = street_number(r)
    if not sn:
        return None
    street = re.sub(r"\d+号$", "", sn)
    piece = core_name(r)
    piece = piece[:-1] if piece.endswith("店") else piece
    return f"{street}的{piece}", piece


VARIANTS = [v_no_town, v_abbrev, v_homophone, v_drop_char, v_traditional, v_noisy,
            v_street_number, v_owner_surname, v_street_and_name]


def identifying(registry, fragment, limit=3):
    """True if the undisturbed fragment fits at most `limit` retailers."""
    if isinstance(fragment, tuple):
        _, town, surname, kind = fragment
        n = sum(1 for r in registry
                if r["town"] == town and r["owner"].startswith(surname) and r["name"].endswith(kind))
        return n <= limit
    f = plain(fragment)
    n = sum(1 for r in registry if f in plain(r["name"]) or f in plain(r["address"]))
    return n <= limit


def make_queries(registry, seed, count, exclude):
    rng = random.Random(seed)
    pool = [r for r in registry if r["licence"] not in exclude]
    rng.shuffle(pool)
    out, used, k = [], set(), 0
    # Round robin over the rules: a retailer the current rule cannot make an identifying
    # query for is skipped, so every rule gets its share.
    for r in pool:
        if len(out) >= count:
            break
        rule = VARIANTS[k % len(VARIANTS)]
        made = rule(rng, r)
        if made and identifying(registry, made[1]):
            out.append({"q": made[0], "licence": r["licence"], "variant": rule.__name__[2:]})
            used.add(r["licence"])
            k += 1
    return out, used


MENTION_TEMPLATES = [
    "{loc}的{name}好像卖假烟",
    "举报{loc}{name}销售假冒卷烟，老板姓{surname}",
    "我在{name}买的烟是假的，店在{loc}",
    "{name}无证卖烟，地址{loc}",
    "投诉{short}{name}向未成年人卖烟",
    "{loc}那个{name}卖的中华烟味道不对",
]
NEGATIVE_TEMPLATES = [
    "{short}{street}有人用面包车运烟，好多箱",
    "我想咨询一下怎么申请烟草专卖零售许可证",
    "客户经理服务态度不好，订烟总是订不上",
    "{short}有一家新开的{lucky}{kind}好像没有许可证",
    "送货员把烟送错了，少了两条",
    "网上有人卖烟，微信号一直发广告",
]


def make_mentions(registry, exclude):
    rng = random.Random(MENTION_SEED)
    pool = [r for r in registry if r["licence"] not in exclude]
    rng.shuffle(pool)
    names = {r["name"] for r in registry}
    out = []
    for i, r in enumerate(pool[:160]):
        sn = street_number(r)
        loc = rng.choice([r["town"] + (re.sub(r"\d+号$", "", sn) if sn else ""), r["short"], r["address"]])
        name = core_name(r) if rng.random() < 0.6 else r["name"]
        if rng.random() < 0.3 and name.endswith("店"):
            name = name[:-1]
        text = rng.choice(MENTION_TEMPLATES).format(
            loc=loc, name=name, surname=r["owner"][0], short=r["short"])
        address = r["address"] if rng.random() < 0.3 else ""
        out.append({"set": "dev" if i % 2 == 0 else "test", "description": text,
                    "address": address, "licence": r["licence"]})
    # Negatives: texts naming no shop, or a shop with a name the registry does not have.
    unknown = ["腾飞", "宏图", "锦绣", "金桥", "祥云", "瑞丰", "永利", "新世纪", "红太阳", "金海",
               "开心", "万福", "振兴", "德胜", "同心", "喜洋洋"]
    negatives = 0
    while negatives < 40:
        t = rng.choice(TOWNS)
        lucky = rng.choice(unknown)
        kind = rng.choice(["超市", "烟酒店", "便利店"])
        if any(lucky in n for n in names):
            continue
        text = rng.choice(NEGATIVE_TEMPLATES).format(
            short=t[1], street=rng.choice(t[5]), lucky=lucky, kind=kind)
        out.append({"set": "dev" if negatives % 2 == 0 else "test", "description": text,
                    "address": "", "licence": None})
        negatives += 1
    return out


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2100)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."))
    args = ap.parse_args()
    registry = generate_registry(args.rows)
    os.makedirs(os.path.join(args.root, "config/demo"), exist_ok=True)
    os.makedirs(os.path.join(args.root, "tests/data"), exist_ok=True)
    columns = ["licence", "name", "owner", "address", "town", "lat", "lng",
               "market_inspector", "account_manager"]
    with open(os.path.join(args.root, "config/demo/retailers.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns + ["synthetic"])
        for r in registry:
            w.writerow([r[c] for c in columns] + ["yes"])
    dev, used = make_queries(registry, DEV_SEED, 50, set())
    test, used_test = make_queries(registry, TEST_SEED, 150, used)
    write_jsonl(os.path.join(args.root, "tests/data/retailer_queries_dev.jsonl"), dev)
    write_jsonl(os.path.join(args.root, "tests/data/retailer_queries.jsonl"), test)
    mentions = make_mentions(registry, used | used_test)
    write_jsonl(os.path.join(args.root, "tests/data/retailer_mentions.jsonl"), mentions)
    print(f"{len(registry)} retailers, {len(dev)} dev queries, {len(test)} test queries, "
          f"{len(mentions)} mentions")


if __name__ == "__main__":
    main()
