// Word lists the name detector consults: the English dictionary (word-list), school and subject vocabulary
// that is capitalised without being a name, cue words that announce a name, honorifics and name particles.
import { readFileSync } from "node:fs";
import wordListPath from "word-list";

let dictionary: Set<string> | undefined;

/** Is this (lower-case) word in the English dictionary? Loaded once, on first use. */
export function isDictionaryWord(word: string): boolean {
  dictionary ??= new Set(readFileSync(wordListPath, "utf8").split("\n"));
  return dictionary.has(word);
}

/**
 * Capitalised words a teacher writes that are not people: subjects, languages, days and months, places,
 * tools, frameworks. Lower case; checked after the dictionary. Person names are deliberately absent,
 * historical ones included: a student can be called Lincoln.
 */
export const SUBJECT_VOCABULARY = new Set(
  `
ngss ccss ela esl ell iep sel stem steam ap ib gcse pta pto rsvp faq pdf url html css ok okay pm am
math maths algebra geometry calculus trigonometry statistics biology chemistry physics science sciences
english spanish french german italian portuguese chinese mandarin cantonese japanese korean vietnamese arabic hindi urdu
bengali punjabi tamil telugu gujarati marathi farsi persian turkish russian ukrainian polish czech serbian croatian
romanian greek hebrew latin swahili yoruba igbo hausa amharic somali tagalog filipino thai khmer lao burmese
indonesian malay dutch swedish norwegian danish finnish hungarian haitian creole navajo cherokee
pashto dari tigrinya hmong kinyarwanda nepali sinhala malayalam kannada oromo wolof twi ewe fula lingala shona zulu
xhosa afrikaans quechua kiche marshallese chuukese samoan tongan hawaiian ilocano cebuano chamorro armenian
albanian bosnian macedonian slovak slovenian lithuanian latvian estonian icelandic catalan basque galician
yiddish kurdish uzbek kazakh tajik kyrgyz azerbaijani mongolian tibetan uyghur maltese asl
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december
africa asia europe antarctica australia oceania america americas eurasia arctic atlantic pacific
african asian european american australian canadian mexican british irish scottish welsh indian pakistani
chinese nigerian ghanaian kenyan egyptian brazilian argentine
egypt rome mesopotamia greece babylon persia byzantium sparta athens nile amazon mississippi sahara himalaya himalayas
mexico canada brazil argentina chile peru colombia venezuela cuba haiti jamaica spain france germany italy portugal
england scotland wales ireland britain uk usa us poland ukraine russia china japan korea vietnam india pakistan
bangladesh nepal iran iraq syria turkey israel palestine lebanon jordan saudi arabia yemen nigeria ghana kenya
ethiopia somalia senegal mali morocco algeria tunisia sudan uganda tanzania rwanda congo zimbabwe zambia philippines
indonesia malaysia thailand cambodia laos myanmar singapore taiwan mongolia afghanistan
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois
indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota missouri montana nebraska
nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia wisconsin wyoming
mercury venus earth mars jupiter saturn uranus neptune pluto
youtube google kahoot quizlet ipad iphone chromebook powerpoint excel canva padlet seesaw nearpod desmos
schoology classroom zoom teams gmail outlook microsoft apple android wikipedia scratch minecraft
covid pythagorean pythagoras celsius fahrenheit newton newtonian euclid euclidean fibonacci
renaissance reformation enlightenment
dont cant wont didnt doesnt isnt wasnt arent werent havent hasnt couldnt wouldnt shouldnt im ive id thats theyre youre
lets whats theres hes shes gonna wanna gotta kinda sorta lol omg btw tbh yeah yep nope ok
json markdown emoji
`
    .split(/\s+/)
    .filter(Boolean),
);

/** Words after which the next word is a name even when it is an everyday word ("my friend grace"). */
export const NAME_CUES = new Set(
  "named called student pupil dear hi hello hey son daughter child kid classmate friend partner brother sister cousin nephew niece grandson granddaughter stepson stepdaughter".split(
    " ",
  ),
);

/** Titles before a name; the name after one is a parent's or another adult's. */
export const HONORIFICS = new Set("mr mrs ms miss mx dr prof sr sra srta herr frau mme mlle".split(" "));

/** Words after which a name belongs to a parent or guardian. */
export const PARENT_CUES = new Set(
  "mother father mom mum dad parent parents guardian grandmother grandfather grandma grandpa aunt uncle".split(" "),
);

/** Lower-case parts of names that are not names on their own: "van", "de la", "bin", "al". */
export const PARTICLES = new Set(
  "de da das dos del della der den di du la le van von ter ten bin ibn bint al el abu ben y e st zu".split(" "),
);

/**
 * Everyday words that are also given names ("Will", "Grace", "May"): when a roster or a name field holds
 * one, it is matched only when capitalised, so "I will" stays intact while "Will" is still caught.
 */
export const COMMON_WORD_NAMES = new Set(
  `will grace may june april august hope faith joy rose summer autumn mark bill art sky angel max pat sue don ray jack dawn eve ivy lily iris amber ruby pearl violet river reed hunter page miles chase drew grant wade young brown white black green king long little rich bell hall hill wood stone rice lane park west north best love star true gray grey fox cook baker carter cole frank hardy honor justice lee major mason noble rob sage sterling taylor tucker victor can an in on is it so no to
destiny journey harmony serenity trinity genesis haven liberty melody promise precious unique miracle legend
royal prince princess saint storm rain ocean dakota phoenix raven willow hazel olive daisy poppy holly jasmine
fern clay flint ash birch forest brook cliff dale glen heath moss ridge chance archer bishop booker cooper
fisher gardner miller parker porter sawyer shepherd slater smith spencer tanner turner walker ward weaver
wright harper scout ryder bear wolf jay robin wren lark dove drake colt kai sunny cherry honey crystal
diamond jade opal ivory autumn winter spring blaze brooks banks rivers woods hope joy
dev patience mercy blessing charity prudence temperance constance verity felicity glory comfort wisdom peace
gift favour favor godswill lyric nova zion messiah kingdom echo story`.split(/\s+/),
);

/** Short function words never taken as names, even after a cue ("my friend and I"). */
export const STOPWORDS = new Set(
  "a an the and or but of to in on at by for with from as is are was were be been am i you he she it we they me him her us them my your his its our their this that these those who whom which what when where why how not no yes so if then than too very just also all any some each every both either neither one two three four five six seven eight nine ten work essay paragraph story project report test quiz homework assignment answer answers writing reading class group team teacher teachers school".split(
    " ",
  ),
);
