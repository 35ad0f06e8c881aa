import { Header } from '@nestjs/common';

/** `Cache-Control: no-store`: an answer that carries credentials or personal data is never kept by a browser or proxy. */
export const NoStore = () => Header('Cache-Control', 'no-store');
