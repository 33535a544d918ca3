declare module "parse-prometheus-text-format" {
  /** prom2json-style families; see the package's README. */
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
