// retail: the demo's world — two companies' sales files with planted defects, and the truth to check them against.
export {
  RETAIL_DEFAULTS,
  generateRetail,
  generateRetailDay,
  retailTruth,
  type RetailOptions,
  type RetailTruth,
  type Defects,
} from './generate.js';
export {
  RETAIL_TEMPLATE,
  copyRetailTemplate,
  readRetailSettings,
  landRetailHistory,
  landRetailDay,
  addLiveStoreJob,
  LIVE_STORE_JOB,
  type RetailSettings,
} from './project.js';
