/**
 * "Firefox on Windows": enough for a person to recognise their own device in a session list.
 * Deliberately small (no UA database): unknown agents show as "Unknown browser".
 */
export function summariseUserAgent(ua: string): string {
  if (!ua) return 'Unknown device';
  const browser = /\bEdg(?:e|A|iOS)?\//.test(ua)
    ? 'Edge'
    : /\b(?:OPR|Opera)\//.test(ua)
      ? 'Opera'
      : /\bFirefox\/|\bFxiOS\//.test(ua)
        ? 'Firefox'
        : /\bSamsungBrowser\//.test(ua)
          ? 'Samsung Internet'
          : /\bChrom(?:e|ium)\/|\bCriOS\//.test(ua)
            ? 'Chrome'
            : /\bVersion\/[\d.]+.*\bSafari\//.test(ua)
              ? 'Safari'
              : /^curl\//i.test(ua)
                ? 'curl'
                : /HeadlessChrome/.test(ua)
                  ? 'Headless Chrome'
                  : null;
  const os = /\b(?:iPhone|iPad|iPod)\b/.test(ua)
    ? 'iOS'
    : /\bAndroid\b/.test(ua)
      ? 'Android'
      : /\bCrOS\b/.test(ua)
        ? 'ChromeOS'
        : /\bWindows\b/.test(ua)
          ? 'Windows'
          : /\bMac OS X\b|\bMacintosh\b/.test(ua)
            ? 'macOS'
            : /\bLinux\b/.test(ua)
              ? 'Linux'
              : null;
  if (browser && os) return `${browser} on ${os}`;
  if (browser) return browser;
  if (os) return `Unknown browser on ${os}`;
  return ua.length > 40 ? `${ua.slice(0, 40)}…` : ua;
}
