/** Each current record as its own file, as `collapse-bench verify <file>` takes it. */
import type { APIRoute, GetStaticPaths } from 'astro';
import { siteData } from '../../../data.ts';

export const getStaticPaths: GetStaticPaths = () =>
  (siteData().current?.records ?? []).map((record) => ({
    params: { id: record.id },
    props: { body: `${JSON.stringify(record, null, 1)}\n` },
  }));

export const GET: APIRoute = ({ props }) => new Response((props as { body: string }).body);
