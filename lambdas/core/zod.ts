/**
 * The zod the Lambda code validates with: `zod/mini`, whose functions esbuild tree-shakes to the checks in use
 * (~30 KB in a bundle, where classic zod's chainable API is kept whole, ~450 KB, and adds ~100 ms to a cold
 * start), with the English messages classic zod loads by default (`zod/mini` loads no locale: "Invalid input").
 * Import it as `import * as z from '…/core/zod'`.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());

export * from 'zod/mini';
