// Small improvements on pages that work without JavaScript. No dependencies.
"use strict";
