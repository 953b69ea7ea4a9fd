import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/**
 * Fastify's validator for our TypeBox schemas. Like the type provider's own, but headers and bodies are
 * checked as they are, not run through `Value.Convert` first: a header value is always a string and our
 * header schemas say so, and a body is JSON already, so converting them only cost time on every request
 * (a full walk of the headers object, the largest single cost of validation in the overhead profile).
 * Query strings and path parameters are still converted (`?limit=10` is a number to the schema).
 *
 * Each schema is compiled at its route's first request, not when Fastify asks at start: compiling every
 * route's schemas was ~30 ms of a restart's ~500 (bench/README.md, restart to ready), for routes most
 * deployments never call (admin, dashboard, legacy endpoints).
 */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  let compiled: ReturnType<typeof Compile> | undefined;
  const convert = httpPart !== 'headers' && httpPart !== 'body';
  return (value: unknown) => {
    compiled ??= Compile(schema);
    const candidate = convert ? Value.Convert(schema, value) : value;
    if (compiled.Check(candidate)) return { value: candidate };
    return { error: compiled.Errors(candidate) as never };
  };
};
