// Which writing system a word is in, and what the name detector knows per script (pure). Words in a script
// other than the line's main one are names (a teacher's English note quoting "أحمد" or "민준"); inside a line
// written in that script, names are found from cue words ("عزيزي", "Дорогая") and lists of common given
// names, with the prefixes and particles those languages attach to a name ("وأحمد", "민준이").

export type Script = "Latin" | "Cyrillic" | "Greek" | "Arabic" | "Hebrew" | "Hangul" | "Han" | "Kana" | "Devanagari" | "Thai" | "Other";

const SCRIPTS: [Script, RegExp][] = [
  ["Latin", /\p{Script=Latin}/u],
  ["Cyrillic", /\p{Script=Cyrillic}/u],
  ["Greek", /\p{Script=Greek}/u],
  ["Arabic", /\p{Script=Arabic}/u],
  ["Hebrew", /\p{Script=Hebrew}/u],
  ["Hangul", /\p{Script=Hangul}/u],
  ["Han", /\p{Script=Han}/u],
  ["Kana", /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ["Devanagari", /\p{Script=Devanagari}/u],
  ["Thai", /\p{Script=Thai}/u],
];

/** The script of a word (its first letter's). */
export function scriptOf(word: string): Script {
  const letter = word.match(/\p{L}/u)?.[0] ?? "";
  for (const [name, re] of SCRIPTS) if (re.test(letter)) return name;
  return "Other";
}

/** Scripts with upper and lower case, where capitals mark names as in English. */
export const CASED: ReadonlySet<Script> = new Set(["Latin", "Cyrillic", "Greek"]);

/** The script most letters of the text are written in (Han and Kana count together as Japanese/Chinese). */
export function mainScript(text: string): Script {
  const counts = new Map<Script, number>();
  for (const m of text.matchAll(/\p{L}/gu)) {
    const s = scriptOf(m[0]);
    const k = s === "Kana" ? "Han" : s;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best: Script = "Latin";
  let most = 0;
  for (const [s, n] of counts)
    if (n > most) {
      best = s;
      most = n;
    }
  return best;
}

const list = (s: string) => s.split(/\s+/).filter(Boolean);

/** Common given names per script, for lines written in that script (English-script names need no list). */
export const GIVEN_NAMES: ReadonlySet<string> = new Set(
  list(`
محمد أحمد علي عمر يوسف خالد حسن حسين إبراهيم مصطفى محمود عبدالله عبد كريم سامي طارق ياسين آدم زياد رامي فادي
ليلى فاطمة عائشة مريم زينب سارة نور هدى سلمى ريم رنا دانة جنى لينا ياسمين آمنة خديجة هبة منى رشا
דוד יוסף משה אברהם יצחק יעקב נועם איתי אורי עומר יונתן דניאל אריאל אליה
שרה רחל לאה רבקה נועה תמר מיכל יעל שירה מאיה הילה אביגיל
민준 서준 도윤 예준 시우 하준 주원 지호 지후 준서 건우 현우 우진 선우 연우 유준 정우 승우 지훈 민재
서연 서윤 지우 서현 민서 하은 하윤 윤서 지유 지민 채원 수아 지아 예은 다은 수빈 예린 소율 지안 하린 민지 유나 수연
지수 태현 동현 성민 영희 철수
小明 小红 小华 小丽 小军 伟 芳 娜 敏 静 秀英 丽 强 磊 洋 艳 勇 军 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 子涵 浩然 梓涵 一诺 欣怡 宇轩 雨桐 子轩
王伟 李娜 张伟 刘洋 陈静 杨帆 赵敏 黄磊 周杰 吴刚 李明 王芳 张敏 刘强 陈杰
さくら ゆうき はると ひなた ゆい あおい そうた れん めい ゆな たろう はなこ けんた
太郎 花子 健太 翔太 大翔 陽翔 蓮 結衣 陽葵 さくら 美咲 優斗 悠真 蒼 湊
राहुल प्रिया अर्जुन आरव विवान आदित्य रोहन अनन्या दिया सान्या ईशा कविता पूजा नेहा अमित सुनील अनिल राज सीता गीता
रवि विजय संजय मीरा आयशा अयान ज़ोया
Александр Алексей Андрей Артём Борис Дмитрий Иван Максим Михаил Никита Сергей Егор Илья Кирилл Олег Павел
Анна Мария Ольга Елена Наталья Ирина Татьяна Софья София Дарья Алиса Полина Виктория Ксения Екатерина Анастасия
Γιώργος Δημήτρης Νίκος Κώστας Γιάννης Μαρία Ελένη Κατερίνα Σοφία Δήμητρα
สมชาย สมศักดิ์ สมหญิง มาลี ณัฐ ปิยะ
`).map((n) => n.toLowerCase()),
);

/** Words in these scripts after which the next word is a person's name ("dear", "student", "mother"...). */
export const SCRIPT_CUES: ReadonlySet<string> = new Set(
  list(`
عزيزي عزيزتي الطالب الطالبة التلميذ التلميذة ابني ابنتي السيد السيدة الأستاذ الأستاذة والد والدة أم أب
לכבוד יקר יקרה התלמיד התלמידה הילד הילדה אמא אבא מר גברת שלום
학생 친구 어머니 아버지 선생님
同学 学生 亲爱的 家长 妈妈 爸爸 老师
さん くん ちゃん 先生
प्रिय छात्र छात्रा श्री श्रीमती माता पिता
дорогой дорогая уважаемый уважаемая ученик ученица мама папа
αγαπητέ αγαπητή μαθητής μαθήτρια
`).map((n) => n.toLowerCase()),
);

/** Particles attached after a name (Korean, Japanese) or prefixes before it (Arabic, Hebrew), to strip. */
const SUFFIXES = list(
  "에게서 한테서 에게 한테 께서 이가 이는 이를 이의 이도 이와 이랑 이 가 은 는 을 를 의 도 와 과 랑 야 아 씨 님 さん くん ちゃん は が を の に と も 同学",
);
const PREFIXES = list("وال بال لل و ف ب ل ك ה ו ב ל מ ש כ");

/** The name inside a word of a caseless script, when the word is a listed name with its particles. */
export function listedName(word: string): string | undefined {
  const w = word.toLowerCase();
  if (GIVEN_NAMES.has(w)) return word;
  for (const p of ["", ...PREFIXES]) {
    if (p && !w.startsWith(p)) continue;
    const rest = w.slice(p.length);
    if (p && GIVEN_NAMES.has(rest)) return word.slice(p.length);
    for (const s of SUFFIXES)
      if (rest.endsWith(s) && GIVEN_NAMES.has(rest.slice(0, -s.length))) return word.slice(p.length, word.length - s.length);
  }
  return undefined;
}

/** Listed names inside a run of Han or Kana text (written without spaces), as offsets in the run. */
export function namesInRun(run: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const names = [...GIVEN_NAMES].filter((n) => /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(n));
  // Longest first, never overlapping; a single Han character is a name only before a cue ("敏同学").
  names.sort((a, b) => b.length - a.length);
  for (const n of names) {
    for (let at = run.indexOf(n); at >= 0; at = run.indexOf(n, at + n.length)) {
      const end = at + n.length;
      if (n.length === 1 && !SUFFIXES.some((s) => run.startsWith(s, end))) continue;
      if (!out.some((o) => at < o.end && end > o.start)) out.push({ start: at, end });
    }
  }
  return out;
}
