import { Type } from '@fastify/type-provider-typebox';
import { ERROR_RESPONSES } from '../../errors.js';

// Any route can end in the error handler's 500 (say, a bug); the document says so for these too.
const { 500: failed } = ERROR_RESPONSES;

export const healthzSchema = {
  summary: 'Liveness: the process answers',
  tags: ['operations'],
  response: { 200: Type.Object({ status: Type.Literal('ok') }), 500: failed },
};

const Readiness = Type.Object({
  ready: Type.Boolean(),
  reason: Type.Optional(Type.String({ description: 'Why not ready; absent when ready' })),
});

export const readyzSchema = {
  summary: 'Readiness: ClickHouse answers and the process is ready to serve',
  description: 'Says nothing about the data: only whether queries can be answered now.',
  tags: ['operations'],
  response: { 200: Readiness, 503: Readiness, 500: failed },
};
