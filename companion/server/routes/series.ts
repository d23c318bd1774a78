/**
 * The series index (companion/series/series-index.ts): `GET /series`, `GET /series/:id`,
 * `GET /series/:id/characters?name=` and `GET /characters/:id/appearances`. Read-only: every answer is
 * a query over the index in SQLite, never a read of the vault, and no path is taken from the client.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  CharacterAppearancesResponse,
  CharacterLookupQuery,
  CharacterLookupResponse,
  CharacterParams,
  ListSeriesResponse,
  SeriesDetailResponse,
  SeriesParams,
} from "../../../shared/companion-api/api";
import { linkTarget } from "../../../shared/series/series";
import type { SeriesIndex } from "../../series/series-index";
import { HttpError } from "../errors";

export interface SeriesRoutesOptions {
  index: SeriesIndex;
}

const SERIES_NOT_FOUND = "series not found: no series in the index has this id (ids come from GET /series, and change when a series note is renamed or moved)";
const CHARACTER_NOT_FOUND = "character not found: no character in the series index has this id (ids come from GET /series/:id, and change when a character note is renamed or moved)";

export const seriesRoutes: FastifyPluginAsyncZod<SeriesRoutesOptions> = async (app, { index }) => {
  const { store } = index;
  const indexedAt = (): string | null => {
    const at = store.builtAt();
    return at === null ? null : new Date(at).toISOString();
  };

  app.get("/series", { schema: { response: { 200: ListSeriesResponse } } }, async () => ({ series: store.list(), indexedAt: indexedAt() }));

  app.get("/series/:id", { schema: { params: SeriesParams, response: { 200: SeriesDetailResponse } } }, async (request) => {
    const series = store.get(request.params.id);
    if (!series) throw new HttpError(404, SERIES_NOT_FOUND, "params.id");
    return { ...series, indexedAt: indexedAt() };
  });

  app.get(
    "/series/:id/characters",
    { schema: { params: SeriesParams, querystring: CharacterLookupQuery, response: { 200: CharacterLookupResponse } } },
    async (request) => {
      const { id } = request.params;
      if (!store.has(id)) throw new HttpError(404, SERIES_NOT_FOUND, "params.id");
      const { name } = request.query;
      // Read as characterAppearances reads a name: `[[Mara|the captain]]` and `Mara` are the same person.
      const character = store.findByName(id, linkTarget(name).toLowerCase());
      return { name, character, appearances: character ? store.appearances(character.id) : [] };
    },
  );

  app.get(
    "/characters/:id/appearances",
    { schema: { params: CharacterParams, response: { 200: CharacterAppearancesResponse } } },
    async (request) => {
      const character = store.character(request.params.id);
      if (!character) throw new HttpError(404, CHARACTER_NOT_FOUND, "params.id");
      return { character, appearances: store.appearances(character.id) };
    },
  );
};
