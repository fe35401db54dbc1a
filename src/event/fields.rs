//! The properties of the run and build objects, from the official schemas `Run`
//! (`components/schemas/actor-runs/Run.yaml`) and `Build` (`components/schemas/actor-builds/Build.yaml`)
//! of the Apify API spec, with the properties of their `meta`, `stats` and `options` objects.
//! Generated from the spec (which is not copied into the project); the contract test
//! `resource_fields_match_the_official_schemas` fails when this list drifts from it.

/// The properties of the schema `Run`, in the spec's order.
pub const RUN_FIELDS: &[&str] = &[
    "id",
    "actId",
    "userId",
    "actorTaskId",
    "startedAt",
    "finishedAt",
    "status",
    "statusMessage",
    "isStatusMessageTerminal",
    "meta",
    "pricingInfo",
    "stats",
    "chargedEventCounts",
    "options",
    "buildId",
    "exitCode",
    "generalAccess",
    "defaultKeyValueStoreId",
    "defaultDatasetId",
    "defaultRequestQueueId",
    "storageIds",
    "buildNumber",
    "containerUrl",
    "isContainerServerReady",
    "gitBranchName",
    "usage",
    "usageTotalUsd",
    "usageUsd",
    "metamorphs",
    "platformUsageBillingModel",
];

/// The properties of the objects inside `Run` that have a fixed set: `(property, its properties)`.
pub const RUN_NESTED: &[(&str, &[&str])] = &[
    (
        "meta",
        &[
            "origin",
            "clientIp",
            "userAgent",
            "scheduleId",
            "scheduledAt",
        ],
    ),
    (
        "stats",
        &[
            "inputBodyLen",
            "migrationCount",
            "rebootCount",
            "restartCount",
            "resurrectCount",
            "memAvgBytes",
            "memMaxBytes",
            "memCurrentBytes",
            "cpuAvgUsage",
            "cpuMaxUsage",
            "cpuCurrentUsage",
            "netRxBytes",
            "netTxBytes",
            "durationMillis",
            "runTimeSecs",
            "metamorph",
            "computeUnits",
        ],
    ),
    (
        "options",
        &[
            "build",
            "timeoutSecs",
            "memoryMbytes",
            "diskMbytes",
            "maxItems",
            "maxTotalChargeUsd",
        ],
    ),
];

/// The properties of the schema `Build`, in the spec's order.
pub const BUILD_FIELDS: &[&str] = &[
    "id",
    "actId",
    "userId",
    "startedAt",
    "finishedAt",
    "status",
    "meta",
    "stats",
    "options",
    "usage",
    "usageTotalUsd",
    "usageUsd",
    "inputSchema",
    "readme",
    "buildNumber",
    "actVersion",
    "actorDefinition",
];

/// The properties of the objects inside `Build` that have a fixed set: `(property, its properties)`.
pub const BUILD_NESTED: &[(&str, &[&str])] = &[
    ("meta", &["origin", "clientIp", "userAgent"]),
    (
        "stats",
        &[
            "durationMillis",
            "runTimeSecs",
            "computeUnits",
            "imageSizeBytes",
        ],
    ),
    (
        "options",
        &["useCache", "betaPackages", "memoryMbytes", "diskMbytes"],
    ),
];
