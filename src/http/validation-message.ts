/**
 * Turns schema errors (TypeBox's, which follow Ajv's shape) into one sentence that names the field, such as
 * `body/urgency must be one of interactive, background, batch`. Users read the first problem and fix it;
 * a list of twenty anyOf branches helps nobody.
 */

export interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

export interface ValidationProblem {
  /** `body/messages/0/role`, `headers/x-rmm-urgency`, or just `body`. */
  field: string;
  message: string;
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'a JSON object',
  array: 'an array',
  null: 'null',
};

export function describeValidation(
  errors: readonly SchemaError[],
  part: string,
  schema?: unknown,
  value?: unknown,
): ValidationProblem {
  // "schema is false" repeats what the additionalProperties error says better.
  const useful = errors.filter((e) => e.keyword !== 'boolean');
  const first = useful[0] ?? errors[0];
  if (!first) return { field: part, message: `${part} is invalid` };
  const at = fieldName(part, first.instancePath);
  if (first.instancePath === '' && value === undefined && first.keyword === 'type') {
    return { field: part, message: `${part} is required: send a JSON object` };
  }
  const samePath = useful.filter((e) => e.instancePath === first.instancePath);
  const p = first.params ?? {};
  switch (first.keyword) {
    case 'required': {
      const missing =
        (p['requiredProperties'] as string[] | undefined)?.[0] ?? (p['missingProperty'] as string);
      return { field: `${at}/${missing}`, message: `${at}/${missing} is required` };
    }
    case 'additionalProperties': {
      const extra =
        (p['additionalProperties'] as string[] | undefined)?.[0] ?? (p['additionalProperty'] as string);
      const known = knownFields(schema, first.instancePath);
      const list = known.length ? `; known fields: ${known.join(', ')}` : '';
      return { field: `${at}/${extra}`, message: `${at}/${extra} is not a known field${list}` };
    }
    case 'enum':
      return { field: at, message: `${at} must be one of ${(p['allowedValues'] as unknown[]).join(', ')}` };
    case 'const':
    case 'anyOf':
      return { field: at, message: `${at} ${alternatives(samePath)}` };
    case 'type': {
      const types = [
        ...new Set(samePath.filter((e) => e.keyword === 'type').map((e) => String(e.params?.['type']))),
      ];
      return { field: at, message: `${at} must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}` };
    }
    case 'minLength':
      return {
        field: at,
        message:
          p['limit'] === 1 ? `${at} must not be empty` : `${at} must be at least ${p['limit']} characters`,
      };
    case 'maxLength':
      return { field: at, message: `${at} must be at most ${p['limit']} characters` };
    case 'minItems':
      return {
        field: at,
        message:
          p['limit'] === 1 ? `${at} must not be empty` : `${at} must have at least ${p['limit']} items`,
      };
    case 'maxItems':
      return { field: at, message: `${at} must have at most ${p['limit']} items` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return {
        field: at,
        message: `${at} must be ${p['comparison'] ?? comparison(first.keyword)} ${p['limit']}`,
      };
    default:
      return { field: at, message: `${at} ${first.message ?? 'is invalid'}` };
  }
}

function fieldName(part: string, instancePath: string): string {
  // JSON Pointer escapes: ~1 is '/', ~0 is '~'.
  return instancePath ? `${part}${instancePath.replace(/~1/g, '/').replace(/~0/g, '~')}` : part;
}

function alternatives(errors: readonly SchemaError[]): string {
  const consts = errors.filter((e) => e.keyword === 'const').map((e) => String(e.params?.['allowedValue']));
  if (consts.length) return `must be one of ${consts.join(', ')}`;
  const types = [
    ...new Set(errors.filter((e) => e.keyword === 'type').map((e) => String(e.params?.['type']))),
  ];
  if (types.length) return `must be ${types.map((t) => ARTICLE[t] ?? t).join(' or ')}`;
  return 'does not match any allowed form';
}

function comparison(keyword: string): string {
  return { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[keyword] ?? keyword;
}

/** The property names a schema allows at an instance path (for "known fields: ..."). */
function knownFields(schema: unknown, instancePath: string): string[] {
  let node = schema as Record<string, unknown> | undefined;
  for (const segment of instancePath.split('/').slice(1)) {
    if (!node) return [];
    if (node['type'] === 'array') node = node['items'] as Record<string, unknown> | undefined;
    else node = (node['properties'] as Record<string, Record<string, unknown>> | undefined)?.[segment];
  }
  const props = node?.['properties'];
  return props && typeof props === 'object' ? Object.keys(props) : [];
}
