import type { TaskType } from '../config/schema.ts';

/**
 * Keyword classifier for a request's task type. It runs on every request, so the patterns are compiled
 * once (see FIND and WHICH below) and run over the lower-cased text; a call allocates little beyond its
 * result (the score arrays are reused).
 *
 * Scoring: each cue counts once however often it occurs. A single word weighs 1, a multi-word phrase 2
 * (some override it: creative subjects and summary cues weigh 1.5, so "write a story" is creative, not
 * code, and "summarise this story" is fast_response; "tell me a story" 3 beats "tell me").
 * Code cues (fences, `def f(`, `=>`, language names) carry no class of their own: they add 0.5 each
 * (a fence 1) to code_review when any review cue matched, else to code_generation, so "review this python
 * function" stays a review and "explain this python code" stays reasoning.
 *
 * Tie-break between classes with equal scores: the class with the heavier single cue wins (a phrase beats
 * two loose words), then the class whose first cue appears earliest in the text (the instruction usually
 * comes first: "quick: why is the sky blue?" is fast_response, "why is the sky blue? quick" is reasoning).
 *
 * confidence = share of the total score held by the winner × evidence (winner's score / 2, capped at 1):
 * one loose word gives at most 0.5, a phrase or two agreeing words give 1 when nothing competes.
 */

export interface TaskClassification {
  task_type: TaskType;
  /** 0..1; 0 exactly when nothing matched. */
  confidence: number;
  /** The cues found, in order of first appearance (each once). */
  matched: string[];
}

/** Only the start of a long prompt is scanned: the instruction comes first, pasted material after it. */
export const MAX_SCAN_CHARS = 4096;

type CueClass = Exclude<TaskType, 'general'> | 'code';

interface Cue {
  label: string;
  cls: CueClass;
  weight: number;
  /** Regex source; default: the label escaped, spaces as \s+, word boundaries where the label has words. */
  src?: string;
}

const CLASS_ORDER = [
  'code_generation',
  'code_review',
  'reasoning',
  'complex',
  'fast_response',
  'simple',
  'creative',
] as const satisfies readonly TaskType[];
const CODE = CLASS_ORDER.length; // slot for code cues, resolved to a code class at the end
const GEN = 0;
const REVIEW = 1;

const CUES: readonly Cue[] = [
  // The seed's classes, verbatim, plus inflections.
  { label: 'write', cls: 'code_generation', weight: 1, src: 'writ(?:e|es|ing)' },
  { label: 'create', cls: 'code_generation', weight: 1, src: 'creat(?:e|es|ing)' },
  { label: 'implement', cls: 'code_generation', weight: 1, src: 'implement(?:s|ing|ation)?' },
  { label: 'function', cls: 'code_generation', weight: 1, src: 'functions?' },
  { label: 'class', cls: 'code_generation', weight: 1, src: 'class(?:es)?' },
  { label: 'generate', cls: 'code_generation', weight: 1, src: 'generat(?:e|es|ing)' },
  {
    label: 'write code',
    cls: 'code_generation',
    weight: 2,
    src: 'writ(?:e|ing)\\s+(?:some\\s+|the\\s+)?code',
  },
  { label: 'review', cls: 'code_review', weight: 1, src: 'review(?:s|ing)?' },
  { label: 'check', cls: 'code_review', weight: 1, src: 'check(?:s|ing)?' },
  {
    label: 'analyze code',
    cls: 'code_review',
    weight: 2,
    src: 'analy[sz](?:e|ing)\\s+(?:this\\s+|the\\s+|my\\s+)?code',
  },
  { label: 'find bugs', cls: 'code_review', weight: 2, src: 'find\\s+(?:the\\s+)?bugs?' },
  { label: 'code review', cls: 'code_review', weight: 2 },
  { label: 'security', cls: 'code_review', weight: 1 },
  { label: 'vulnerability', cls: 'code_review', weight: 1, src: 'vulnerabilit(?:y|ies)' },
  { label: 'audit', cls: 'code_review', weight: 1 },
  { label: 'why', cls: 'reasoning', weight: 1 },
  { label: 'explain', cls: 'reasoning', weight: 1, src: 'explain(?:s|ing)?' },
  { label: 'logic', cls: 'reasoning', weight: 1, src: 'logic(?:al)?' },
  { label: 'deduce', cls: 'reasoning', weight: 1 },
  { label: 'infer', cls: 'reasoning', weight: 1 },
  { label: 'prove', cls: 'reasoning', weight: 1 },
  { label: 'step by step', cls: 'reasoning', weight: 2 },
  { label: 'how does', cls: 'reasoning', weight: 2 },
  { label: 'design', cls: 'complex', weight: 1, src: 'design(?:s|ing)?' },
  { label: 'architect', cls: 'complex', weight: 1, src: 'architect(?:ure|s)?' },
  { label: 'comprehensive', cls: 'complex', weight: 1 },
  { label: 'detailed analysis', cls: 'complex', weight: 2 },
  { label: 'in depth', cls: 'complex', weight: 2, src: 'in[\\s-]+depth' },
  { label: 'trade-offs', cls: 'complex', weight: 1, src: 'trade-?offs?' },
  { label: 'quick', cls: 'fast_response', weight: 1, src: 'quick(?:ly)?' },
  { label: 'brief', cls: 'fast_response', weight: 1, src: 'brief(?:ly)?' },
  { label: 'summary', cls: 'fast_response', weight: 1.5 },
  { label: 'summarize', cls: 'fast_response', weight: 1.5, src: 'summari[sz]e' },
  { label: 'tldr', cls: 'fast_response', weight: 1.5, src: 'tl;?dr' },
  { label: 'in one sentence', cls: 'fast_response', weight: 2 },
  { label: 'what is', cls: 'simple', weight: 2, src: "what(?:\\s+is|'s)" },
  { label: 'define', cls: 'simple', weight: 1 },
  { label: 'definition', cls: 'simple', weight: 1 },
  { label: 'basic', cls: 'simple', weight: 1, src: 'basics?' },
  { label: 'tell me', cls: 'simple', weight: 2 },
  { label: 'who is', cls: 'simple', weight: 2 },
  // Creative work (the seed's anime production).
  { label: 'story', cls: 'creative', weight: 1.5, src: 'stor(?:y|ies)' },
  { label: 'poem', cls: 'creative', weight: 1.5, src: 'poe(?:m|ms|try)' },
  { label: 'character', cls: 'creative', weight: 1.5, src: 'characters?' },
  { label: 'anime', cls: 'creative', weight: 1.5 },
  { label: 'imagine', cls: 'creative', weight: 1 },
  { label: 'fiction', cls: 'creative', weight: 1.5, src: 'fiction(?:al)?' },
  { label: 'lyrics', cls: 'creative', weight: 1.5 },
  { label: 'haiku', cls: 'creative', weight: 1.5 },
  { label: 'tell me a story', cls: 'creative', weight: 3 },
  { label: 'once upon a time', cls: 'creative', weight: 3 },
  // Code cues: evidence of code, resolved to generation or review at the end.
  { label: '```', cls: 'code', weight: 1, src: '```' },
  { label: 'def', cls: 'code', weight: 0.5, src: '\\bdef\\s+\\w+\\s*\\(' },
  { label: '=>', cls: 'code', weight: 0.5, src: '=>' },
  { label: '#include', cls: 'code', weight: 0.5, src: '#include' },
  { label: 'code', cls: 'code', weight: 0.5 },
  { label: 'python', cls: 'code', weight: 0.5 },
  { label: 'javascript', cls: 'code', weight: 0.5 },
  { label: 'typescript', cls: 'code', weight: 0.5 },
  { label: 'java', cls: 'code', weight: 0.5 },
  { label: 'rust', cls: 'code', weight: 0.5 },
  { label: 'golang', cls: 'code', weight: 0.5 },
  { label: 'c++', cls: 'code', weight: 0.5 },
  { label: 'c#', cls: 'code', weight: 0.5 },
  { label: 'kotlin', cls: 'code', weight: 0.5 },
  { label: 'ruby', cls: 'code', weight: 0.5 },
  { label: 'php', cls: 'code', weight: 0.5 },
  { label: 'sql', cls: 'code', weight: 0.5 },
  { label: 'bash', cls: 'code', weight: 0.5 },
  { label: 'html', cls: 'code', weight: 0.5 },
  { label: 'css', cls: 'code', weight: 0.5 },
  { label: 'regex', cls: 'code', weight: 0.5 },
  { label: 'json', cls: 'code', weight: 0.5 },
  { label: 'api', cls: 'code', weight: 0.5, src: 'apis?' },
];

/** A cue made of words gets word boundaries; symbols (```, =>, c++) and `\b`-led patterns bring their own. */
function isWordCue(cue: Cue): boolean {
  return /^\w/.test(cue.label) && /\w$/.test(cue.label) && !cue.src?.startsWith('\\b');
}

function body(cue: Cue): string {
  return cue.src ?? cue.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
}

// Alternation takes the first alternative that matches at a position, so longer phrases go first:
// "analyze code" must be consumed before "code" can be, "tell me a story" before "tell me".
const byLength = (a: Cue, b: Cue) => b.label.length - a.label.length;
const WORD_CUES = CUES.filter(isWordCue).sort(byLength);
const SYMBOL_CUES = CUES.filter((c) => !isWordCue(c)).sort(byLength);
const ORDERED: readonly Cue[] = [...WORD_CUES, ...SYMBOL_CUES];
const CUE_CLASS = Int8Array.from(ORDERED, (c) => (c.cls === 'code' ? CODE : CLASS_ORDER.indexOf(c.cls)));
const CUE_WEIGHT = Float64Array.from(ORDERED, (c) => c.weight);

// Two regexes over the lower-cased text. FIND has one shared `\b(?:...)\b` and no capture groups, which
// V8 scans several times faster than a per-cue alternation (measured: ~3 µs vs ~25 µs for 2 KB without
// a match). At each hit, WHICH (sticky, same alternatives in the same order) runs once at that position
// and its capture group names the cue.
const FIND = new RegExp(`\\b(?:${WORD_CUES.map(body).join('|')})\\b|${SYMBOL_CUES.map(body).join('|')}`, 'g');
const WHICH = new RegExp(
  ORDERED.map((c) => (isWordCue(c) ? `(\\b(?:${body(c)})\\b)` : `(${body(c)})`)).join('|'),
  'y',
);

// Which cue a matched text is. Most matches are the same few words, so a small cache spares running WHICH
// (~1 µs with its ~80 groups) per match; it is cleared when full so odd texts cannot grow it.
const CUE_CACHE = new Map<string, number>();
const CUE_CACHE_MAX = 512;

function cueAt(s: string, at: number, text: string): number {
  const cached = CUE_CACHE.get(text);
  if (cached !== undefined) return cached;
  WHICH.lastIndex = at;
  const m = WHICH.exec(s);
  let g = 1;
  // WHICH holds FIND's alternatives in FIND's order, so it matches here, with the same alternative.
  while (m !== null && g < m.length && m[g] === undefined) g++;
  const cue = g - 1;
  if (CUE_CACHE.size >= CUE_CACHE_MAX) CUE_CACHE.clear();
  CUE_CACHE.set(text, cue);
  return cue;
}

// Scratch state reused across calls: classification is synchronous, so no two calls interleave.
const seen = new Uint8Array(ORDERED.length);
const score = new Float64Array(CODE + 1);
const heaviest = new Float64Array(CODE + 1);
const firstAt = new Float64Array(CODE + 1);

export function classifyTask(text: string): TaskClassification {
  const s = (text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text).toLowerCase();
  score.fill(0);
  heaviest.fill(0);
  firstAt.fill(Number.POSITIVE_INFINITY);
  const matched: string[] = [];
  const hits: number[] = [];
  FIND.lastIndex = 0;
  for (let found = FIND.exec(s); found !== null; found = FIND.exec(s)) {
    const cue = cueAt(s, found.index, found[0]);
    if (seen[cue] === 1) continue;
    seen[cue] = 1;
    hits.push(cue);
    matched.push(ORDERED[cue]!.label);
    const cls = CUE_CLASS[cue]!;
    const w = CUE_WEIGHT[cue]!;
    score[cls]! += w;
    if (w > heaviest[cls]!) heaviest[cls] = w;
    if (found.index < firstAt[cls]!) firstAt[cls] = found.index;
  }
  for (const cue of hits) seen[cue] = 0;
  if (hits.length === 0) return { task_type: 'general', confidence: 0, matched };

  if (score[CODE]! > 0) {
    const to = score[REVIEW]! > 0 ? REVIEW : GEN;
    score[to]! += score[CODE]!;
    if (heaviest[CODE]! > heaviest[to]!) heaviest[to] = heaviest[CODE]!;
    if (firstAt[CODE]! < firstAt[to]!) firstAt[to] = firstAt[CODE]!;
  }

  let best = -1;
  let total = 0;
  for (let c = 0; c < CODE; c++) {
    const v = score[c]!;
    if (v === 0) continue;
    total += v;
    if (
      best < 0 ||
      v > score[best]! ||
      (v === score[best]! &&
        (heaviest[c]! > heaviest[best]! || (heaviest[c] === heaviest[best] && firstAt[c]! < firstAt[best]!)))
    )
      best = c;
  }
  const top = score[best]!;
  const confidence = Math.round((top / total) * Math.min(1, top / 2) * 100) / 100;
  return { task_type: CLASS_ORDER[best]!, confidence, matched };
}
