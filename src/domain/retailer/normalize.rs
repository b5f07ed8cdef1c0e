//! Normalising Chinese shop names and addresses so that spelling variants meet: full-width
//! forms fold to half-width, traditional characters to simplified (號→号, 鎮→镇, 煙→烟...),
//! Latin letters to lower case, spaces and punctuation go, `18#` becomes `18号` and
//! `十八号` becomes `18号`, town names lose 镇/街道 (and `武穴市`, which every shop has),
//! and company suffixes (`有限公司`...) are dropped. Shop-type words (店, 商店, 超市) are
//! kept: they tell shops apart.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::Town;

/// Traditional → simplified pairs (one traditional character, then its simplified form),
/// covering shop names, surnames, place words and the words of complaints.
const TRAD_SIMP: &str = "號号鎮镇煙烟菸烟記记興兴萬万華华聯联發发髮发順顺達达豐丰匯汇滙汇寶宝\
龍龙門门東东陳陈劉刘張张楊杨黃黄趙赵吳吴鄭郑馬马羅罗謝谢許许鄧邓孫孙馮冯鍾钟鐘钟盧卢蘆芦\
橋桥灣湾園园樂乐滿满購购貨货雜杂賣卖買买組组設设國国鳳凤長长雲云紅红蘭兰廣广場场業业貿贸\
鴻鸿財财車车頭头廟庙鄉乡區区縣县廠厂農农電电學学輝辉億亿誠诚榮荣運运進进義义韓韩蘇苏葉叶\
譚谭蔣蒋賈贾魯鲁錢钱湯汤嚴严夢梦飛飞開开關关軍军麗丽偉伟強强勝胜濤涛鵬鹏傑杰鋒锋齊齐溝沟\
閘闸鐵铁陽阳衝冲倉仓餘余鄒邹龔龚賴赖喬乔寧宁壩坝嶺岭莊庄時时舖铺鋪铺銷销價价員员經经營营\
務务證证書书們们個个來来這这對对說说會会為为點点裡里裏里後后過过還还從从給给與与應应當当\
實实現现問问題题檢检報报舉举訴诉諮咨詢询議议處处罰罚違违規规偽伪僞伪專专網网絡络線线條条\
嗎吗氣气廳厅館馆飯饭際际寫写體体醫医藥药診诊鎖锁櫃柜樓楼層层棟栋單单錶表陸陆蕭萧閻阎顏颜\
鄺邝塗涂幣币傳传優优勞劳動动勁劲協协參参圍围圖图團团堅坚壽寿夾夹婦妇媽妈寬宽尋寻導导將将\
屬属岡冈島岛峽峡帶带幫帮庫库廢废彎弯徑径態态憂忧懷怀戰战戶户擁拥擇择據据擊击敗败數数斷断\
於于曆历構构標标樣样橫横機机權权歐欧歲岁歸归殺杀決决沒没溫温測测滅灭濟济燈灯爺爷牆墙獎奖\
獨独環环產产畫画疊叠盡尽監监盤盘眾众礦矿碼码確确禮礼種种穩稳窮穷競竞筆笔節节範范糧粮紀纪\
約约紙纸級级細细終终結结絕绝統统絲丝綠绿維维緊紧總总緣缘練练續续習习聖圣聞闻聲声聽听職职\
腦脑腳脚舊旧藝艺藍蓝蘋苹蝦虾補补裝装製制複复見见視视親亲覺觉觀观訂订計计討讨訓训評评試试\
話话該该認认語语誤误請请論论講讲識识護护讀读變变讓让貝贝負负貴贵費费貼贴資资賓宾賞赏賢贤\
賬账質质贈赠趕赶跡迹軟软載载輕轻輪轮輸输轉转辦办迴回週周遊游遠远適适選选遺遗邊边鄰邻醬酱\
銀银銅铜鋼钢錄录錯错鍋锅鏡镜閃闪閉闭閒闲間间閣阁闆板隊队階阶隨随險险隱隐隻只雙双雞鸡離离\
難难靈灵靜静韋韦頂顶項项須须預预領领頻频顆颗類类顯显風风飲饮飽饱餅饼騎骑驗验鬥斗魚鱼鮮鲜\
鳥鸟鴨鸭鵝鹅鹽盐麥麦黨党齒齿龜龟貢贡貧贫鄧邓劍剑鳴鸣畢毕鍊链錦锦鎮镇鋁铝鑫鑫倫伦偵侦側侧\
兒儿兩两濱滨漢汉潤润澤泽濕湿灘滩爐炉燒烧煥焕熱热犧牺狀状獅狮瑩莹瓊琼甌瓯畝亩療疗癮瘾皺皱\
盜盗碩硕磚砖祿禄禎祯禪禅穀谷窯窑筍笋簡简籃篮紡纺縫缝繩绳罈坛羨羡聰聪腎肾膽胆臉脸艙舱莖茎\
莊庄萊莱蓮莲蔔卜薑姜薦荐藥药虧亏蟲虫蠶蚕術术衛卫衝冲襪袜覽览訪访詞词詳详誌志誇夸諧谐謀谋\
謠谣豬猪貓猫賀贺賭赌賺赚趙赵躍跃軌轨較较輔辅輛辆轄辖辭辞鄭郑酈郦釀酿釘钉針针鈴铃鉛铅銳锐\
鋪铺錘锤鍵键鎊镑鏈链鐘钟閩闽闊阔闖闯陣阵陰阴陳陈隸隶雜杂雖虽電电霧雾靂雳韻韵頁页頒颁頓顿\
頗颇額额顏颜願愿顧顾颱台颳刮饅馒餵喂驅驱驚惊髒脏鬆松鬧闹魏魏鯉鲤鷹鹰麼么黴霉齡龄龐庞";

fn trad_map() -> &'static HashMap<char, char> {
    static MAP: OnceLock<HashMap<char, char>> = OnceLock::new();
    MAP.get_or_init(|| {
        let chars: Vec<char> = TRAD_SIMP.chars().filter(|c| !c.is_whitespace()).collect();
        chars
            .chunks_exact(2)
            .filter(|p| p[0] != p[1])
            .map(|p| (p[0], p[1]))
            .collect()
    })
}

/// Folds one character: full-width → half-width, traditional → simplified, lower case.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    let c = trad_map().get(&c).copied().unwrap_or(c);
    c.to_ascii_lowercase()
}

/// Company suffixes dropped from the end of a name, longest first.
const COMPANY_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "分公司", "公司"];

/// Normalises a name, an address or a query (see the module documentation).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_digit = false;
    for c in text.chars().map(fold_char) {
        if c == '#' && prev_digit {
            out.push('号');
            prev_digit = false;
            continue;
        }
        if c.is_alphanumeric() {
            out.push(c);
            prev_digit = c.is_ascii_digit();
        }
    }
    let mut out = chinese_numbers(&out);
    for suffix in COMPANY_SUFFIXES {
        if out.len() > suffix.len() && out.ends_with(suffix) {
            out.truncate(out.len() - suffix.len());
            break;
        }
    }
    canonical_towns(&out)
}

/// `武穴市梅川镇正街` → `梅川正街`: every town name in its short form, `武穴市` dropped.
fn canonical_towns(text: &str) -> String {
    let mut out = text.replace("武穴市", "");
    for town in Town::ALL {
        let full = town.name();
        if out.contains(full) {
            out = out.replace(full, town.short());
        }
    }
    out
}

fn numeral(c: char) -> Option<u32> {
    Some(match c {
        '零' | '〇' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// Reads `十八`, `一百零五`, `三二` (digit by digit) as a number; `None` if not one.
fn parse_numeral(run: &[char]) -> Option<u32> {
    if !run.iter().any(|&c| c == '十' || c == '百') {
        return run
            .iter()
            .try_fold(0u32, |acc, &c| Some(acc.checked_mul(10)? + numeral(c)?));
    }
    let (mut total, mut digit) = (0u32, None::<u32>);
    for &c in run {
        match c {
            '百' => total += digit.take().unwrap_or(1) * 100,
            '十' => total += digit.take().unwrap_or(1) * 10,
            _ => digit = Some(numeral(c)?),
        }
    }
    Some(total + digit.unwrap_or(0))
}

/// Chinese numerals right before 号/组/栋/楼 become digits (`十八号` → `18号`), so spoken
/// and written house numbers meet.
fn chinese_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && (numeral(chars[i]).is_some() || matches!(chars[i], '十' | '百'))
        {
            i += 1;
        }
        if i > start {
            let unit = chars
                .get(i)
                .is_some_and(|c| matches!(c, '号' | '组' | '栋' | '楼'));
            match parse_numeral(&chars[start..i]).filter(|_| unit && i - start <= 6) {
                Some(n) => out.push_str(&n.to_string()),
                None => out.extend(&chars[start..i]),
            }
        }
        if i < chars.len() {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The unique character bigrams of a normalised text; a one-character text is its own
/// (single) gram, paired with `'\0'`.
pub fn bigrams(normalized: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut grams: Vec<(char, char)> = match chars.len() {
        0 => Vec::new(),
        1 => vec![(chars[0], '\0')],
        _ => chars.windows(2).map(|w| (w[0], w[1])).collect(),
    };
    grams.sort_unstable();
    grams.dedup();
    grams
}
