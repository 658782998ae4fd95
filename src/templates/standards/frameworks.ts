// Which standards framework can cover which subject: NGSS is science only; the Common Core covers math and
// English language arts (with literacy in history/social studies); a state's own set and "none" fit any
// subject. One rule, read by the field table (forms offer only the frameworks that fit a known subject)
// and by the request check (a conversation or form that pairs NGSS with math is told so before it runs).

const SCIENCE = /\b(science|biology|chemistry|physics|earth|life sci|physical sci|environmental|astronomy|geology|stem)\b/i;
const COMMON_CORE =
  /\b(math|maths|mathematics|algebra|geometry|statistics|calculus|arithmetic|numeracy|ela|english|reading|writing|literacy|language arts|phonics|history|social studies|civics)\b/i;

/** Whether `framework` (a choice value: CCSS, NGSS, state, none) can hold standards for `subject`. */
export function frameworkFitsSubject(framework: string, subject: string): boolean {
  if (framework === "NGSS") return SCIENCE.test(subject);
  if (framework === "CCSS") return COMMON_CORE.test(subject);
  return true;
}
