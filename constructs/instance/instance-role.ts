/** Which instance of an environment: Main (the live one) or Test (training, study export/import). */
export type InstanceRole = 'main' | 'test';
