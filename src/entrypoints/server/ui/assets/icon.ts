/** The console's icon (/assets/favicon.svg): three routes out of one box. Embedded for the same reason as the CSS. */
export const CONSOLE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect x="2" y="10" width="12" height="12" rx="2" fill="#0b57d0"/><path d="M14 16h6M20 16l8-9M20 16h8M20 16l8 9" stroke="#1f2328" stroke-width="2.5" fill="none" stroke-linecap="round"/></svg>
`;
